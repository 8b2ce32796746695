package dev.gspo.experiments;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * One row of the results table: each {@link RunMeasures measure} of an arm as mean ± std over its seeds
 * ({@link Stat}). {@code stepsToThreshold} averages the runs that reached the threshold; {@code reached} counts them.
 */
public record ArmSummary(
        Arm arm,
        int runs,
        Stat heldOutBefore,
        Stat heldOutAfter,
        Stat finalReward,
        Stat clipSequence,
        Stat clipToken,
        Stat stepsToThreshold,
        int reached,
        Stat wallSeconds) {

    public static ArmSummary of(Arm arm, List<RunResult> runs, double threshold, int window) {
        Stat steps = stat(runs, r -> RunMeasures.stepsToThreshold(r, threshold, window));
        return new ArmSummary(
                arm,
                runs.size(),
                stat(runs, RunResult::heldOutBefore),
                stat(runs, RunResult::heldOutAfter),
                stat(runs, r -> RunMeasures.finalReward(r, window)),
                stat(runs, RunMeasures::clipSequence),
                stat(runs, RunMeasures::clipToken),
                steps,
                steps.n(),
                stat(runs, RunResult::wallSeconds));
    }

    private static Stat stat(List<RunResult> runs, ToDoubleFunction<RunResult> f) {
        return Stat.of(runs.stream().mapToDouble(f).toArray());
    }
}
