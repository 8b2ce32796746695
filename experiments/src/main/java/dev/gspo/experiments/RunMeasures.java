package dev.gspo.experiments;

import dev.gspo.optimizer.loop.StepMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The numbers the report compares, computed from one run's per-step metrics. With r_k the mean training reward of
 * step k (all P·G samples, at the sampling temperature) and K the number of steps:
 *
 * <pre>
 *   trailing mean      r̄_k(w)      = (1/w) Σ_{j=k−w+1..k} r_j                       (k ≥ w)
 *   final reward                   = r̄_K(w)
 *   late reward                    = mean of r_k over the last ⌈K/2⌉ steps            (the sweep's criterion)
 *   steps to threshold τ           = min { k ≥ w : r̄_k(w) ≥ τ },  NaN if never
 *   clip fraction (seq | tok)      = (1/K) Σ_k c_k,  c_k the step's clip fraction (docs/ALGORITHM.md §10), averaged over its
 *                                    minibatches by the trainer
 * </pre>
 */
public final class RunMeasures {
    private RunMeasures() {}

    public static double finalReward(RunResult run, int window) {
        return trailingMean(run.steps(), run.steps().size(), window);
    }

    public static double lateReward(RunResult run) {
        List<StepMetrics> s = run.steps();
        return mean(s.subList(s.size() / 2, s.size()), StepMetrics::rewardMean);
    }

    public static double stepsToThreshold(RunResult run, double threshold, int window) {
        for (int k = window; k <= run.steps().size(); k++) {
            if (trailingMean(run.steps(), k, window) >= threshold) {
                return run.steps().get(k - 1).step();
            }
        }
        return Double.NaN;
    }

    public static double clipSequence(RunResult run) {
        return mean(run.steps(), StepMetrics::clipSeqTotal);
    }

    /** MoE: mean over steps of the share of (token, layer) expert sets that moved; NaN for a dense policy. */
    public static double expertChange(RunResult run) {
        return mean(run.steps(), StepMetrics::expertChangeShare);
    }

    /**
     * Whether a run collapsed: its final reward fell below half the reward of its first step, or its held-out
     * accuracy below half of where it started. (A skipped update, the non-finite guard firing, is counted apart by
     * {@link #skippedUpdates}: a run can skip one and go on normally.)
     */
    public static boolean collapsed(RunResult run, int window) {
        double start = run.steps().getFirst().rewardMean();
        return finalReward(run, window) < 0.5 * start || run.heldOutAfter() < 0.5 * run.heldOutBefore();
    }

    /** Updates the trainer skipped over the run because their loss or gradient was not finite. */
    public static int skippedUpdates(RunResult run) {
        return run.steps().stream().mapToInt(StepMetrics::skippedUpdates).sum();
    }

    public static double clipToken(RunResult run) {
        return mean(run.steps(), StepMetrics::clipTokTotal);
    }

    /** r̄_k(w) over the first k steps' last min(k, w) values (the plots use it from step 1 on). */
    public static double trailingMean(List<StepMetrics> steps, int k, int window) {
        return mean(steps.subList(Math.max(0, k - window), k), StepMetrics::rewardMean);
    }

    /** (step, greedy held-out accuracy) at step 0 (before) and at every evaluated step. */
    public static List<double[]> heldOutCurve(RunResult run) {
        List<double[]> points = new ArrayList<>();
        if (Double.isFinite(run.heldOutBefore())) {
            points.add(new double[] {0, run.heldOutBefore()});
        }
        for (StepMetrics m : run.steps()) {
            if (Double.isFinite(m.heldOutAccuracy())) {
                points.add(new double[] {m.step(), m.heldOutAccuracy()});
            }
        }
        return points;
    }

    static double mean(List<StepMetrics> steps, ToDoubleFunction<StepMetrics> f) {
        return steps.stream().mapToDouble(f).filter(Double::isFinite).average().orElse(Double.NaN);
    }
}
