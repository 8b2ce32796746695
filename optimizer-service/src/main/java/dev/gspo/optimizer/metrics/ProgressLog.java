package dev.gspo.optimizer.metrics;

import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.StepMetrics;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One human-readable line per step (and every tenth warm-start step): what a person watching the log wants. */
public final class ProgressLog implements RunListener {
    private static final Logger log = LoggerFactory.getLogger("gspo.progress");
    private final String runId;
    private final long startedAt = System.nanoTime();
    private long firstStepAt = -1;
    private long stepsSeen;

    public ProgressLog(String runId) {
        this.runId = runId;
    }

    @Override
    public void onSupervisedStep(long step, long total, double loss) {
        if (step % 50 == 0 || step == total || step == 1) {
            log.info(
                    "[{}] warm start {}/{} | loss {} | {}", runId, step, total, String.format("%.3f", loss), elapsed());
        }
    }

    @Override
    public void onWarmStartAccuracy(long step, long total, double accuracy, double target) {
        log.info(
                "[{}] warm start {}/{} | greedy accuracy on the check sample {} (target {}){}",
                runId,
                step,
                total,
                String.format("%.3f", accuracy),
                String.format("%.3f", target),
                accuracy >= target ? ": reached, GSPO starts" : "");
    }

    @Override
    public void onHeldOutAccuracy(long step, double accuracy) {
        log.info("[{}] held-out greedy accuracy after step {}: {}", runId, step, String.format("%.3f", accuracy));
    }

    @Override
    public void onStep(StepMetrics m) {
        long now = System.nanoTime();
        if (firstStepAt < 0) {
            firstStepAt = now - (long) (m.stepSeconds() * 1e9);
        }
        stepsSeen++;
        double perStep = (now - firstStepAt) / 1e9 / stepsSeen;
        long remaining = m.totalSteps() - m.step();
        log.info(
                "[{}] step {}/{} {} | reward {} | acc {} | clip seq {} tok {}{}{} | {} tok/s | v{}{} | ETA {}",
                runId,
                m.step(),
                m.totalSteps(),
                bar(m.step(), m.totalSteps()),
                fmt(m.rewardMean()),
                fmt(m.accuracy()),
                fmt(m.clipSeqTotal()),
                fmt(m.clipTokTotal()),
                Double.isFinite(m.expertChangeShare()) ? " | experts changed " + fmt(m.expertChangeShare()) : "",
                m.droppedGroupShare() > 0 || m.extraRollouts() > 0
                        ? " | dropped " + fmt(m.droppedGroupShare()) + " +" + m.extraRollouts() + " rollouts"
                        : "",
                String.format("%.0f", m.rolloutTokensPerSecond()),
                m.policyVersion(),
                m.stale() > 0 ? " (samples " + m.stale() + " behind)" : "",
                human(Duration.ofMillis((long) (perStep * remaining * 1000))));
    }

    @Override
    public void onCheckpoint(long step, Path dir) {
        log.info("[{}] checkpoint after step {}: {}", runId, step, dir);
    }

    @Override
    public void onCheckpointFailed(long step, Exception error) {
        log.error(
                "[{}] checkpoint after step {} FAILED (the previous one is kept): {}", runId, step, error.getMessage());
    }

    private String elapsed() {
        return human(Duration.ofNanos(System.nanoTime() - startedAt)) + " elapsed";
    }

    private static String bar(long step, long total) {
        int width = 20;
        int filled = (int) Math.round(width * (double) step / Math.max(1, total));
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
    }

    private static String fmt(double v) {
        return Double.isFinite(v) ? String.format("%.3f", v) : "n/a";
    }

    private static String human(Duration d) {
        long s = d.toSeconds();
        return s >= 60 ? (s / 60) + "m" + String.format("%02d", s % 60) + "s" : s + "s";
    }
}
