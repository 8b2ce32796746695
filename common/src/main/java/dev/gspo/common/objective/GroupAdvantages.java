package dev.gspo.common.objective;

import java.util.Objects;

/**
 * Group-relative advantages (docs/ALGORITHM.md §2), the baseline of GRPO and GSPO (no critic). The rewards
 * of a rollout batch come as consecutive groups of G samples of the same prompt; within each group
 *
 * <pre>
 *   mean = (1/G) Σ_j r_j
 *   std  = sqrt( Σ_j (r_j − mean)² / (G − 1) )          (Bessel-corrected)
 *   Â_i  = (r_i − mean) / (std + eps)                  if scaleByStd
 *   Â_i  =  r_i − mean                                 otherwise
 * </pre>
 *
 * A group whose rewards are all exactly equal is a zero-variance group: it carries no signal, its
 * Â are set to exactly 0 (not to a rounding residue of r − mean) and it is counted.
 */
public final class GroupAdvantages {

    private final AdvantageConfig config;

    public GroupAdvantages(AdvantageConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * @param rewards   r, length a multiple of groupSize, finite
     * @param groupSize G ≥ 2
     * @throws IllegalArgumentException naming the offending value
     */
    public Advantages compute(double[] rewards, int groupSize) {
        Objects.requireNonNull(rewards, "rewards");
        if (groupSize < 2) {
            throw new IllegalArgumentException("groupSize must be >= 2 (the group is the baseline), got " + groupSize);
        }
        if (rewards.length == 0 || rewards.length % groupSize != 0) {
            throw new IllegalArgumentException(
                    "number of rewards (" + rewards.length + ") must be a positive multiple of groupSize " + groupSize);
        }
        for (int i = 0; i < rewards.length; i++) {
            if (!Double.isFinite(rewards[i])) {
                throw new IllegalArgumentException("reward " + i + " is not finite: " + rewards[i]);
            }
        }
        double[] adv = new double[rewards.length];
        int groups = rewards.length / groupSize;
        int zeroVariance = 0;
        for (int g = 0; g < groups; g++) {
            int from = g * groupSize;
            if (allEqual(rewards, from, groupSize)) {
                zeroVariance++; // adv stays 0
                continue;
            }
            double mean = 0;
            for (int j = 0; j < groupSize; j++) {
                mean += rewards[from + j];
            }
            mean /= groupSize;
            double squares = 0;
            for (int j = 0; j < groupSize; j++) {
                double d = rewards[from + j] - mean;
                squares += d * d;
            }
            double scale = config.scaleByStd() ? Math.sqrt(squares / (groupSize - 1)) + config.eps() : 1.0;
            for (int j = 0; j < groupSize; j++) {
                adv[from + j] = (rewards[from + j] - mean) / scale;
            }
        }
        return new Advantages(adv, zeroVariance, groups);
    }

    private static boolean allEqual(double[] r, int from, int n) {
        for (int j = 1; j < n; j++) {
            if (r[from + j] != r[from]) {
                return false;
            }
        }
        return true;
    }
}
