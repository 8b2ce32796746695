package dev.gspo.optimizer.config;

import dev.gspo.optimizer.loop.TrainingRun;
import dev.gspo.optimizer.report.ReportWriter;
import dev.gspo.optimizer.run.RunCompletionHook;
import dev.gspo.optimizer.run.RunState;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Every run that ends writes its report folder ({@code <checkpointDir>/<runId>/report} unless configured). */
@Component
class ReportOnCompletion implements RunCompletionHook {
    private static final Logger log = LoggerFactory.getLogger(ReportOnCompletion.class);
    private final OptimizerProperties properties;
    private final Instant started = Instant.now();

    ReportOnCompletion(OptimizerProperties properties) {
        this.properties = properties;
    }

    /** A report that cannot be written (a full disk, a read-only volume) is recorded in the run's status. */
    @Override
    public void finished(TrainingRun run, RunState state) {
        Path dir = reportDir(run.runId());
        try {
            write(run, state, dir);
        } catch (UncheckedIOException e) {
            log.error("the report of {} could not be written to {}: {}", run.runId(), dir, e.getMessage());
            run.writeFailed("report", run.step(), e);
        }
    }

    private void write(TrainingRun run, RunState state, Path dir) {
        Path report = ReportWriter.write(
                dir,
                new ReportWriter.RunSummary(
                        run.runId(),
                        state.wireName(),
                        run.config(),
                        run.history(),
                        run.supervisedLoss(),
                        run.heldOutBefore(),
                        run.heldOutAfter(),
                        Duration.between(started, Instant.now()).toMillis() / 1000.0,
                        run.warmStart()));
        log.info("report of {} written to {}", run.runId(), report.toAbsolutePath());
    }

    Path reportDir(String runId) {
        String configured = properties.bootRun().reportDir();
        return configured.isBlank() ? properties.checkpointDir().resolve(runId).resolve("report") : Path.of(configured);
    }
}
