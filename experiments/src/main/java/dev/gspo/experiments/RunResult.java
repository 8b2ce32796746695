package dev.gspo.experiments;

import dev.gspo.optimizer.loop.StepMetrics;
import java.util.List;

/**
 * What one training run of an arm measured.
 *
 * @param heldOutBefore greedy held-out accuracy of the starting policy (the warm start, the same for every run)
 * @param heldOutAfter  the same after the last step
 * @param wallSeconds   the run's wall time (the machine is shared: compare arms of one experiment only)
 */
public record RunResult(
        Arm arm, long seed, List<StepMetrics> steps, double heldOutBefore, double heldOutAfter, double wallSeconds) {
    public RunResult {
        steps = List.copyOf(steps);
    }

    /** The same outcome reported under another arm with the same mode and range (a reused run). */
    public RunResult as(Arm other) {
        return new RunResult(other, seed, steps, heldOutBefore, heldOutAfter, wallSeconds);
    }
}
