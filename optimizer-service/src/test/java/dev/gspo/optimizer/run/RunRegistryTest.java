package dev.gspo.optimizer.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunRegistryTest {
    @TempDir
    Path root;

    @Test
    void aRecordReadsBackAsItWasWritten() {
        RunRegistry registry = new RunRegistry(root);
        RunStatus written = status("run-a", RunState.COMPLETED, 4, null);
        registry.save(written);

        assertThat(registry.load()).containsExactly(written);
        assertThat(root.resolve("run-a")).isDirectoryNotContaining("glob:**.tmp");
    }

    @Test
    void aRunThatWasRunningWhenTheOptimizerStoppedReadsAsInterruptedAtItsLastStep() throws Exception {
        RunRegistry registry = new RunRegistry(root);
        registry.save(status("run-b", RunState.RUNNING, 2, 2L));
        new MetricsHistoryFile(root.resolve("run-b")).onStep(metrics(3));

        RunStatus loaded = registry.load().getFirst();

        assertThat(loaded.state()).isEqualTo(RunState.FAILED);
        assertThat(loaded.step()).isEqualTo(3);
        assertThat(loaded.latest().step()).isEqualTo(3);
        assertThat(loaded.error())
                .startsWith("interrupted: the optimizer stopped while attempt 1 was running")
                .contains("last checkpoint at step 2")
                .contains("\"resumeFrom\": \"run-b\"");
        assertThat(loaded.finishedAt()).isNotNull();
        RunAttempt attempt = loaded.attempts().getFirst();
        assertThat(attempt.state()).isEqualTo(RunState.FAILED);
        assertThat(attempt.step()).isEqualTo(3);
        assertThat(attempt.error()).isEqualTo(loaded.error());
        // and so recorded: the next start-up reads the same
        assertThat(new RunRegistry(root).load()).containsExactly(loaded);
    }

    @Test
    void aRunFolderFromBeforeRunRecordsIsRecordedFromItsNewestCheckpoint() throws Exception {
        for (int step : new int[] {2, 4}) {
            Path checkpoint = Files.createDirectories(
                    root.resolve("run-old").resolve("checkpoints").resolve(String.format("step-%06d", step)));
            Files.writeString(checkpoint.resolve("trainer_state.json"), """
                    {"runId":"run-old","step":%d,"policyVersion":%d,"optimizerStep":%d,"seed":3,
                     "config":{"steps":10,"seed":3},"files":{}}""".formatted(step, step + 1, step));
        }

        RunStatus old = new RunRegistry(root).load().getFirst();

        assertThat(old.runId()).isEqualTo("run-old");
        assertThat(old.state()).isEqualTo(RunState.FAILED);
        assertThat(old.step()).isEqualTo(4);
        assertThat(old.policyVersion()).isEqualTo(5);
        assertThat(old.totalSteps()).isEqualTo(10);
        assertThat(old.error()).contains("newest checkpoint is at step 4 of 10").contains("unknown");
        assertThat(old.attempts()).hasSize(1);
        assertThat(root.resolve("run-old").resolve(RunRegistry.FILE)).isRegularFile();
    }

    @Test
    void anUnreadableRecordIsSkippedNotFatal() throws Exception {
        RunRegistry registry = new RunRegistry(root);
        registry.save(status("run-c", RunState.STOPPED, 1, 1L));
        Files.createDirectories(root.resolve("run-d"));
        Files.writeString(root.resolve("run-d").resolve(RunRegistry.FILE), "{\"runId\": \"run-d\", ");

        assertThat(registry.load()).extracting(RunStatus::runId).containsExactly("run-c");
    }

    private static RunStatus status(String id, RunState state, long step, Long checkpointStep) {
        Instant start = Instant.parse("2026-01-02T03:04:05Z");
        RunAttempt attempt = new RunAttempt(
                1, state, 0, step, 10, null, start, state == RunState.RUNNING ? null : start.plusSeconds(9), null);
        return new RunStatus(
                id,
                state,
                "gspo",
                step,
                10,
                step + 1,
                metrics(step),
                null,
                null,
                0.5,
                checkpointStep == null ? null : "/x/step-" + checkpointStep,
                null,
                checkpointStep,
                false,
                null,
                0,
                null,
                start,
                attempt.finishedAt(),
                RunConfigJson.read("{\"steps\":10,\"seed\":3}").withDefaults(),
                List.of(attempt),
                null);
    }

    private static StepMetrics metrics(long step) {
        return new StepMetrics(
                step,
                10,
                "gspo",
                step + 1,
                0.5,
                0.1,
                0.25,
                Double.NaN,
                0.1,
                1,
                0,
                0,
                0,
                0,
                0,
                0,
                1,
                1,
                1,
                0,
                1,
                0,
                0,
                0,
                3,
                10,
                10,
                0,
                0,
                0.1,
                0.1,
                0.1,
                0.3,
                Double.NaN,
                Map.of("task", 0.25),
                0,
                0,
                0);
    }
}
