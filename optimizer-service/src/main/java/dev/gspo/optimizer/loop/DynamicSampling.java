package dev.gspo.optimizer.loop;

import dev.gspo.common.reward.RewardMix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongFunction;

/**
 * Dynamic sampling (DAPO, Yu et al. 2025 §3.2): a group whose G rewards are all equal has Â = 0 for every sample and
 * carries no gradient, so it is dropped, and more prompts are drawn until the step holds P informative groups or the
 * over-sampling bound is spent ({@code sampling.dynamicSampling}, {@code sampling.maxOverSample}).
 *
 * <pre>
 *   draw 0: P prompts from the step's own generator (exactly the draw of a run without dynamic sampling)
 *   keep ← informative groups;  extra ← 0
 *   while |keep| &lt; P and extra &lt; B:
 *     rate ← max(informative groups drawn / groups drawn, 1/8)
 *     n    ← min(B − extra, ⌈(P − |keep|) / rate⌉);  draw round r: n prompts from generator(seed, step, r)
 *     extra ← extra + n;  keep ← keep + informative groups of the draw
 *   trained ← the first P groups of keep, in draw order; if keep is empty, the P groups of draw 0 (all Â = 0)
 * </pre>
 *
 * The extra draws' generators derive from (run seed, step, round) alone, so the prompts and rollout seeds of every
 * round are the same in every run of the same seed.
 */
public final class DynamicSampling {

    /** One draw: its groups, in prompt order, and their scores (G per group, group by group). */
    public record Draw(RolloutBatch batch, RewardMix.Result scored) {}

    /** Samples {@code n} prompts, G responses each, with {@code rng} (prompts, then the rollout seed). */
    @FunctionalInterface
    public interface Drawer {
        Draw draw(int round, int n, SplittableRandom rng);
    }

    /**
     * The outcome of a step's sampling.
     *
     * @param trainedGroups  the groups that reach the loss, in draw order
     * @param trainedRewards their rewards (G per group), for the advantages
     * @param drawnBatch     every group drawn, for the rollout metrics (tokens, the oldest policy version)
     * @param scored         the scores of every sample drawn, for the reward metrics
     * @param drawnGroups    groups drawn in all rounds
     * @param zeroVarianceGroups drawn groups whose rewards were all equal
     * @param droppedGroups  drawn groups whose rewards were all equal (dropped; 0 without dynamic sampling)
     * @param extraPrompts   prompts drawn beyond P (each answered G times)
     * @param groupSize      G
     */
    public record Step(
            List<RolloutBatch.Group> trainedGroups,
            double[] trainedRewards,
            RolloutBatch drawnBatch,
            RewardMix.Result scored,
            int drawnGroups,
            int zeroVarianceGroups,
            int droppedGroups,
            int extraPrompts,
            int groupSize) {

        /** Share of the drawn groups that were dropped for having all-equal rewards. */
        public double droppedShare() {
            return drawnGroups == 0 ? 0 : droppedGroups / (double) drawnGroups;
        }

        /** Share of the drawn groups whose rewards were all equal (dropped or not). */
        public double zeroVarianceShare() {
            return drawnGroups == 0 ? 0 : zeroVarianceGroups / (double) drawnGroups;
        }

        /** Rollouts spent beyond the step's P × G. */
        public long extraRollouts() {
            return (long) extraPrompts * groupSize;
        }
    }

    private DynamicSampling() {}

    /** Without dynamic sampling: the P groups of one draw, all trained. */
    public static Step plain(int prompts, int groupSize, SplittableRandom rng, Drawer drawer) {
        Draw d = drawer.draw(0, prompts, rng);
        int zero = 0;
        for (int i = 0; i < d.batch().groups().size(); i++) {
            if (!informative(d.scored().total(), i, groupSize)) {
                zero++;
            }
        }
        return new Step(
                d.batch().groups(),
                d.scored().total(),
                d.batch(),
                d.scored(),
                d.batch().groups().size(),
                zero,
                0,
                0,
                groupSize);
    }

    /**
     * Fills the step with informative groups.
     *
     * @param prompts       P, the informative groups wanted
     * @param maxOverSample B, the most extra prompts to draw
     * @param first         the step's own generator (draw 0)
     * @param rounds        the generator of extra round r ≥ 1
     */
    public static Step fill(
            int prompts,
            int groupSize,
            int maxOverSample,
            SplittableRandom first,
            LongFunction<SplittableRandom> rounds,
            Drawer drawer) {
        List<Draw> draws = new ArrayList<>();
        List<RolloutBatch.Group> keep = new ArrayList<>();
        List<double[]> keepRewards = new ArrayList<>();
        int drawn = 0;
        int informative = 0;
        int extra = 0;
        int round = 0;
        Draw d = drawer.draw(0, prompts, first);
        while (true) {
            draws.add(d);
            double[] total = d.scored().total();
            for (int i = 0; i < d.batch().groups().size(); i++) {
                drawn++;
                if (informative(total, i, groupSize)) {
                    informative++;
                    keep.add(d.batch().groups().get(i));
                    keepRewards.add(Arrays.copyOfRange(total, i * groupSize, (i + 1) * groupSize));
                }
            }
            if (keep.size() >= prompts || extra >= maxOverSample) {
                break;
            }
            double rate = Math.max(informative / (double) drawn, 1.0 / 8);
            int n = (int) Math.min(maxOverSample - extra, Math.ceil((prompts - keep.size()) / rate));
            round++;
            extra += n;
            d = drawer.draw(round, n, rounds.apply(round));
        }
        Draw firstDraw = draws.getFirst();
        List<RolloutBatch.Group> trained;
        double[] trainedRewards;
        if (keep.isEmpty()) {
            trained = firstDraw.batch().groups();
            trainedRewards = firstDraw.scored().total();
        } else {
            int n = Math.min(prompts, keep.size());
            trained = List.copyOf(keep.subList(0, n));
            trainedRewards = new double[n * groupSize];
            for (int i = 0; i < n; i++) {
                System.arraycopy(keepRewards.get(i), 0, trainedRewards, i * groupSize, groupSize);
            }
        }
        int zero = drawn - informative;
        return new Step(
                trained,
                trainedRewards,
                merge(draws),
                mergeScores(draws),
                drawn,
                zero,
                keep.isEmpty() ? 0 : zero,
                extra,
                groupSize);
    }

    /** True when group {@code i}'s G rewards are not all equal (then Â ≠ 0 for some sample). */
    static boolean informative(double[] rewards, int group, int groupSize) {
        double first = rewards[group * groupSize];
        for (int j = 1; j < groupSize; j++) {
            if (rewards[group * groupSize + j] != first) {
                return true;
            }
        }
        return false;
    }

    private static RolloutBatch merge(List<Draw> draws) {
        if (draws.size() == 1) {
            return draws.getFirst().batch();
        }
        List<RolloutBatch.Group> groups = new ArrayList<>();
        long oldest = Long.MAX_VALUE;
        for (Draw d : draws) {
            groups.addAll(d.batch().groups());
            oldest = Math.min(oldest, d.batch().policyVersion());
        }
        return new RolloutBatch(oldest, groups);
    }

    /** The scores of all draws as one: totals and primaries concatenated, each function's mean weighted by count. */
    private static RewardMix.Result mergeScores(List<Draw> draws) {
        if (draws.size() == 1) {
            return draws.getFirst().scored();
        }
        int n = draws.stream().mapToInt(d -> d.scored().total().length).sum();
        double[] total = new double[n];
        double[] primary = new double[n];
        Map<String, Double> sums = new LinkedHashMap<>();
        int at = 0;
        for (Draw d : draws) {
            RewardMix.Result r = d.scored();
            int len = r.total().length;
            System.arraycopy(r.total(), 0, total, at, len);
            System.arraycopy(r.primary(), 0, primary, at, len);
            r.means().forEach((name, mean) -> sums.merge(name, mean * len, Double::sum));
            at += len;
        }
        Map<String, Double> means = new LinkedHashMap<>();
        sums.forEach((name, sum) -> means.put(name, sum / n));
        return new RewardMix.Result(total, primary, means);
    }
}
