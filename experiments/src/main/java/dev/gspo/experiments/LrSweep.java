package dev.gspo.experiments;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The MoE experiment's learning-rate calibration ({@link MoeExperiment}): GSPO without routing replay on one seed at
 * each candidate learning rate, and the one it picks.
 *
 * <pre>
 *   gain(lr)  = held-out after − held-out before            (greedy accuracy on the task's held-out problems)
 *   lr*       = argmax_lr gain(lr);  ties: the higher late reward (mean reward over the run's second half),
 *               then the lower lr
 * </pre>
 *
 * Held-out gain, not training reward, decides: the old MoE runs at 3e-4 gained little training reward and lost
 * held-out accuracy, and held-out accuracy is what the policy is trained for.
 */
public record LrSweep(List<Candidate> candidates) {

    /** One calibration run at {@code learningRate}; {@code chosen} marks lr*. */
    public record Candidate(double learningRate, RunResult run, double gain, boolean chosen) {}

    public LrSweep {
        candidates = candidates == null ? List.of() : List.copyOf(candidates);
    }

    /** The candidates ranked by the rule above, the best marked chosen; runs[i] ran at learningRates[i]. */
    public static LrSweep of(List<Double> learningRates, List<RunResult> runs) {
        if (learningRates.size() != runs.size()) {
            throw new IllegalArgumentException(
                    learningRates.size() + " learning rates for " + runs.size() + " calibration runs");
        }
        List<Candidate> unmarked = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            RunResult r = runs.get(i);
            unmarked.add(new Candidate(learningRates.get(i), r, r.heldOutAfter() - r.heldOutBefore(), false));
        }
        Candidate best = unmarked.stream()
                .max(Comparator.comparingDouble((Candidate c) -> finiteOr(c.gain()))
                        .thenComparingDouble(c -> finiteOr(RunMeasures.lateReward(c.run())))
                        .thenComparingDouble(c -> -c.learningRate()))
                .orElse(null);
        return new LrSweep(unmarked.stream()
                .map(c -> new Candidate(c.learningRate(), c.run(), c.gain(), c == best))
                .toList());
    }

    /** lr*, or {@code fallback} when nothing was swept. */
    public double chosen(double fallback) {
        return candidates.stream()
                .filter(Candidate::chosen)
                .mapToDouble(Candidate::learningRate)
                .findFirst()
                .orElse(fallback);
    }

    public boolean empty() {
        return candidates.isEmpty();
    }

    private static double finiteOr(double x) {
        return Double.isFinite(x) ? x : Double.NEGATIVE_INFINITY;
    }
}
