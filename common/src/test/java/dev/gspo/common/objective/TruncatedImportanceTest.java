package dev.gspo.common.objective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * Truncated importance sampling (docs/ALGORITHM.md §9.1) on a batch small enough to compute by hand: two sequences of
 * two valid tokens (the second padded once, NaN at the padding), π_θ = π_old so every ratio is 1 and nothing is
 * clipped, Â = (+1, −1), C_TIS = 2.
 *
 * <pre>
 *   log π_old      seq 0: (−1, −1)            seq 1: (−2, −1, pad)
 *   log π_rollout  seq 0: (−1.5, −2.5)        seq 1: (−1.5, −1.1, pad)
 *   δ = old − rollout      (0.5, 1.5)                (−0.5, 0.1)
 * </pre>
 */
class TruncatedImportanceTest {
    private static final float NAN = Float.NaN;
    private static final float[][] OLD = {{-1f, -1f, NAN}, {-2f, -1f, NAN}};
    private static final float[][] ROLLOUT = {{-1.5f, -2.5f, NAN}, {-1.5f, -1.1f, NAN}};
    private static final float[][] MASK = {{1, 1, 0}, {1, 1, 0}};
    private static final float[] ADV = {1f, -1f};
    private static final double CAP = 2.0;

    @Test
    void gspoWeighsEachSequenceByItsCappedGeometricMeanRatio() {
        // w_0 = min(exp(mean(0.5, 1.5)), 2) = min(e, 2) = 2 (cut);  w_1 = min(exp(mean(−0.5, 0.1)), 2) = e^−0.2
        double w0 = 2.0;
        double w1 = Math.exp(-0.2); // 0.818731
        Outcome out = run(LossMode.GSPO, CAP, ROLLOUT);
        // loss = −(1/2)(w_0·(+1) + w_1·(−1)) = −(2 − 0.818731)/2 = −0.590635
        assertThat(out.loss).isCloseTo(-(w0 - w1) / 2, within(1e-5));
        assertThat(out.loss).isCloseTo(-0.590635, within(1e-5));
        // ∂loss/∂log π_θ(y_{i,t}) = −(1/B) · w_i · s_i · Â_i / |y_i|  with s_i = 1, B = 2, |y_i| = 2
        assertThat(out.grad[0]).containsExactly(new float[] {-0.5f, -0.5f, 0f}, within(1e-6f));
        assertThat(out.grad[1]).containsExactly(new float[] {0.204683f, 0.204683f, 0f}, within(1e-6f));
    }

    @Test
    void gspoTokenTakesTheSameSequenceWeightsAsGspo() {
        Outcome gspo = run(LossMode.GSPO, CAP, ROLLOUT);
        Outcome token = run(LossMode.GSPO_TOKEN, CAP, ROLLOUT);
        assertThat(token.loss).isCloseTo(gspo.loss, within(1e-6));
        for (int i = 0; i < 2; i++) {
            assertThat(token.grad[i]).containsExactly(gspo.grad[i], within(1e-6f));
        }
    }

    @Test
    void grpoWeighsEachTokenByItsOwnCappedRatio() {
        // w_{0,t} = min(exp(0.5), 2), min(exp(1.5), 2) = 1.648721, 2 (cut);  w_{1,t} = exp(−0.5), exp(0.1) = 0.606531,
        // 1.105171
        double[] w0 = {Math.exp(0.5), 2.0};
        double[] w1 = {Math.exp(-0.5), Math.exp(0.1)};
        Outcome out = run(LossMode.GRPO, CAP, ROLLOUT);
        // J_0 = (1/2)(1.648721 + 2)(+1) = 1.824361;  J_1 = (1/2)(0.606531 + 1.105171)(−1) = −0.855851
        // loss = −(J_0 + J_1)/2 = −0.484255
        assertThat(out.loss).isCloseTo(-((w0[0] + w0[1]) / 2 - (w1[0] + w1[1]) / 2) / 2, within(1e-5));
        assertThat(out.loss).isCloseTo(-0.484255, within(1e-5));
        // ∂loss/∂log π_θ(y_{i,t}) = −(1/B)(1/|y_i|) · w_{i,t} · Â_i  (w_{i,t} = 1 unclipped)
        assertThat(out.grad[0]).containsExactly(new float[] {-0.412180f, -0.5f, 0f}, within(1e-6f));
        assertThat(out.grad[1]).containsExactly(new float[] {0.151633f, 0.276293f, 0f}, within(1e-6f));
    }

    @Test
    void withoutAMismatchEveryWeightIsOneAndTheLossIsUnchanged() {
        for (LossMode mode : LossMode.values()) {
            Outcome off = run(mode, 0, null);
            Outcome on = run(mode, CAP, OLD); // rollout log-probs = π_old: every w = 1
            assertThat(on.loss).as(mode.wireName()).isCloseTo(off.loss, within(1e-7));
            assertThat(off.loss).as(mode.wireName()).isCloseTo(0.0, within(1e-7)); // (+1 − 1)/2
        }
    }

    @Test
    void aCapLowerThanAnyRatioMakesEveryWeightTheCap() {
        // C_TIS = 1: w_0 = min(e, 1) = 1, w_1 = min(e^−0.2, 1) = e^−0.2; only the second is below the cap
        Outcome out = run(LossMode.GSPO, 1.0, ROLLOUT);
        assertThat(out.loss).isCloseTo(-(1 - Math.exp(-0.2)) / 2, within(1e-5));
    }

    @Test
    void aCapWithoutTheRolloutsLogprobsIsRefusedNamingWhatIsMissing() {
        assertThatThrownBy(() -> run(LossMode.GSPO, CAP, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("behaviourLogprobs");
    }

    @Test
    void aCapBelowOneIsRefusedWithTheValue() {
        assertThatThrownBy(() -> ObjectiveConfig.defaults(LossMode.GSPO).withTisCap(0.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0.5");
    }

    private record Outcome(double loss, float[][] grad) {}

    private static Outcome run(LossMode mode, double cap, float[][] rollout) {
        ObjectiveConfig config = ObjectiveConfig.defaults(mode)
                .withClip(ClipRange.symmetric(0.2))
                .withTisCap(cap);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray newLp = ObjectiveHarness.create(m, OLD);
            PolicyBatch batch = PolicyBatch.of(
                    newLp, ObjectiveHarness.create(m, OLD), ObjectiveHarness.create(m, MASK), m.create(ADV));
            if (rollout != null) {
                batch = batch.withBehaviourLogprobs(ObjectiveHarness.create(m, rollout));
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                newLp.setRequiresGradient(true);
                ObjectiveResult r = new PolicyObjective(config).compute(batch);
                gc.backward(r.loss());
                double loss = r.loss().getFloat();
                float[] flat = newLp.getGradient().toFloatArray();
                return new Outcome(loss, new float[][] {
                    java.util.Arrays.copyOfRange(flat, 0, 3), java.util.Arrays.copyOfRange(flat, 3, 6)
                });
            }
        }
    }
}
