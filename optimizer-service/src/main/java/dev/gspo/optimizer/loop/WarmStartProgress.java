package dev.gspo.optimizer.loop;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Where a run's supervised warm start is, or where it stopped and why: the {@code warmStart} object of
 * {@code GET /v1/runs/{id}}.
 *
 * @param step             supervised steps done
 * @param maxSteps         {@code warmStart.steps}, the most it may take
 * @param loss             the latest step's mean token cross-entropy (absent before the first step)
 * @param accuracy         the latest greedy accuracy on the fixed check sample of training prompts (absent: not
 *                         measured yet, or no target)
 * @param accuracyStep     the step {@code accuracy} was measured after
 * @param targetAccuracy   {@code warmStart.targetAccuracy} (absent: no early stop)
 * @param stoppedBecause   why the warm start ended ({@link #TARGET_REACHED}, {@link #MAX_STEPS}, {@link #STOPPED});
 *                         absent while it runs
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WarmStartProgress(
        long step,
        long maxSteps,
        Double loss,
        Double accuracy,
        Long accuracyStep,
        Double targetAccuracy,
        String stoppedBecause) {

    /** A non-finite loss is shown as absent (JSON has no NaN). */
    public WarmStartProgress {
        loss = loss == null || !Double.isFinite(loss) ? null : loss;
    }

    /** The check sample's accuracy reached the target. */
    public static final String TARGET_REACHED = "target-reached";
    /** All {@code warmStart.steps} ran (without a target, or without reaching it). */
    public static final String MAX_STEPS = "max-steps";
    /** The run was asked to stop during the warm start. */
    public static final String STOPPED = "stopped";

    /** One sentence for the report: where the warm start stopped and why. */
    public String describe() {
        String acc = accuracy == null
                ? ""
                : String.format(
                        java.util.Locale.ROOT,
                        "greedy accuracy %.1f%% on the check sample after step %d",
                        100 * accuracy,
                        accuracyStep);
        String target =
                targetAccuracy == null ? null : String.format(java.util.Locale.ROOT, "%.1f%%", 100 * targetAccuracy);
        if (TARGET_REACHED.equals(stoppedBecause)) {
            return "The warm start stopped after " + step + " of at most " + maxSteps + " supervised steps: " + acc
                    + " reached the target " + target + ".";
        }
        if (STOPPED.equals(stoppedBecause)) {
            return "The warm start was stopped by request after " + step + " of " + maxSteps + " supervised steps"
                    + (acc.isEmpty() ? "." : " (" + acc + ").");
        }
        if (target != null) {
            return "The warm start ran all " + maxSteps + " supervised steps without reaching the target " + target
                    + (acc.isEmpty() ? "." : " (" + acc + ").");
        }
        return "The warm start ran its " + maxSteps + " supervised steps (no target accuracy set).";
    }
}
