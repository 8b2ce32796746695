package dev.gspo.optimizer.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.FinishReason;
import dev.gspo.common.reward.RewardMix;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/**
 * {@link DynamicSampling} with a scripted drawer: group number n (counted over all draws of the step) is informative
 * when the script says so; its rewards are then 0, 1, 0, 1, … and otherwise all 1.
 */
class DynamicSamplingTest {
    private static final int G = 4;

    @Test
    void zeroVarianceGroupsAreDroppedAndTheStepIsFilledWithInformativeOnes() {
        Script script = new Script(n -> n % 2 == 0); // every second group informative
        DynamicSampling.Step step =
                DynamicSampling.fill(8, G, 64, new SplittableRandom(1), SplittableRandom::new, script);
        assertThat(step.trainedGroups()).hasSize(8);
        assertThat(step.trainedGroups()).allMatch(g -> script.informative(g));
        for (int i = 0; i < 8; i++) {
            assertThat(DynamicSampling.informative(step.trainedRewards(), i, G)).isTrue();
        }
        // 8 drawn (4 informative), then ⌈4 / 0.5⌉ = 8 more: 16 drawn, 8 dropped
        assertThat(script.sizes).containsExactly(8, 8);
        assertThat(step.extraPrompts()).isEqualTo(8);
        assertThat(step.extraRollouts()).isEqualTo(8L * G);
        assertThat(step.droppedGroups()).isEqualTo(8);
        assertThat(step.droppedShare()).isEqualTo(0.5);
        assertThat(step.drawnBatch().groups()).hasSize(16);
        assertThat(step.scored().total()).hasSize(16 * G);
    }

    @Test
    void theOverSamplingBoundHoldsWhenNoGroupIsInformative() {
        Script script = new Script(n -> false);
        DynamicSampling.Step step =
                DynamicSampling.fill(8, G, 20, new SplittableRandom(1), SplittableRandom::new, script);
        assertThat(script.sizes.stream().mapToInt(Integer::intValue).sum() - 8).isEqualTo(20);
        assertThat(step.extraPrompts()).isEqualTo(20);
        assertThat(step.drawnGroups()).isEqualTo(28);
        // nothing informative: the step's own P groups are kept (all Â = 0), nothing counted as dropped
        assertThat(step.trainedGroups()).isEqualTo(script.first);
        assertThat(step.droppedGroups()).isZero();
        assertThat(step.zeroVarianceShare()).isEqualTo(1.0);
    }

    @Test
    void theOverSamplingBoundHoldsWhenInformativeGroupsAreRare() {
        for (int bound : new int[] {0, 1, 5, 13, 100}) {
            Script script = new Script(n -> n % 10 == 3);
            DynamicSampling.Step step =
                    DynamicSampling.fill(16, G, bound, new SplittableRandom(2), SplittableRandom::new, script);
            int extra = script.sizes.stream().mapToInt(Integer::intValue).sum() - 16;
            assertThat(extra).as("bound %d", bound).isLessThanOrEqualTo(bound);
            assertThat(step.extraPrompts()).isEqualTo(extra);
            assertThat(step.trainedGroups()).hasSizeLessThanOrEqualTo(16).allMatch(script::informative);
        }
    }

    @Test
    void withoutDynamicSamplingEveryGroupIsTrained() {
        Script script = new Script(n -> n % 2 == 0);
        DynamicSampling.Step step = DynamicSampling.plain(8, G, new SplittableRandom(1), script);
        assertThat(step.trainedGroups()).hasSize(8);
        assertThat(step.droppedGroups()).isZero();
        assertThat(step.extraRollouts()).isZero();
        assertThat(step.zeroVarianceShare()).isEqualTo(0.5);
    }

    /** Draws groups whose informativeness the predicate decides by the group's number over the step. */
    private static final class Script implements DynamicSampling.Drawer {
        private final IntPredicate informative;
        private final List<RolloutBatch.Group> informativeGroups = new ArrayList<>();
        final List<Integer> sizes = new ArrayList<>();
        List<RolloutBatch.Group> first;
        private int next;

        Script(IntPredicate informative) {
            this.informative = informative;
        }

        boolean informative(RolloutBatch.Group g) {
            return informativeGroups.contains(g);
        }

        @Override
        public DynamicSampling.Draw draw(int round, int n, SplittableRandom rng) {
            sizes.add(n);
            List<RolloutBatch.Group> groups = new ArrayList<>();
            double[] rewards = new double[n * G];
            for (int i = 0; i < n; i++, next++) {
                List<Completion> samples = new ArrayList<>();
                for (int j = 0; j < G; j++) {
                    samples.add(new Completion(new int[] {next}, "x", new float[] {-1f}, FinishReason.STOP));
                    rewards[i * G + j] = informative.test(next) ? j % 2 : 1;
                }
                RolloutBatch.Group g = new RolloutBatch.Group(new int[] {next}, 0, samples);
                if (informative.test(next)) {
                    informativeGroups.add(g);
                }
                groups.add(g);
            }
            if (first == null) {
                first = groups;
            }
            return new DynamicSampling.Draw(
                    new RolloutBatch(0, groups), new RewardMix.Result(rewards, rewards, Map.of("task", 0.5)));
        }
    }
}
