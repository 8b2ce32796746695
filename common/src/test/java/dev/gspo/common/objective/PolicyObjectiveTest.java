package dev.gspo.common.objective;

import static dev.gspo.common.objective.ObjectiveHarness.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.gspo.common.objective.ObjectiveHarness.Inputs;
import dev.gspo.common.objective.ObjectiveHarness.Outcome;
import org.junit.jupiter.api.Test;

class PolicyObjectiveTest {

    private static final float NAN = Float.NaN;

    private static Inputs oneSequence() {
        float[][] mask = {{0, 1, 1, 0}}; // a prompt position, two response tokens, padding
        float[][] old = {{NAN, -1.0f, -2.0f, NAN}};
        float[][] neu = {{NAN, -0.9f, -2.1f, NAN}};
        return Inputs.of(neu, old, mask, new float[] {0.7f});
    }

    @Test
    void klPenaltyIsOffByDefaultButKlToRefIsStillReported() {
        float[][] ref = {{NAN, -1.5f, -1.0f, NAN}};
        ObjectiveConfig config = ObjectiveConfig.defaults(LossMode.GSPO);

        Outcome without = ObjectiveHarness.run(config, oneSequence());
        Outcome with = ObjectiveHarness.run(config, oneSequence().withRef(ref));

        assertThat(with.loss()).isEqualTo(without.loss());
        assertThat(with.grad()).isDeepEqualTo(without.grad());
        assertThat(without.diagnostics().klToRef()).isNaN();
        assertThat(with.diagnostics().klToRef()).isPositive();
    }

    @Test
    void klPenaltyAddsBetaTimesTheK3EstimateAndItsGradient() {
        float[][] ref = {{NAN, -1.5f, -1.0f, NAN}};
        double beta = 0.5;
        ObjectiveConfig config = ObjectiveConfig.defaults(LossMode.GRPO).withKlBeta(beta);

        Outcome without = ObjectiveHarness.run(config.withKlBeta(0), oneSequence());
        Outcome with = ObjectiveHarness.run(config, oneSequence().withRef(ref));

        // u = ref − new; k3 = e^u − u − 1; KL = mean over the 2 tokens; ∂k3/∂new = 1 − e^u
        double u1 = -1.5 - -0.9f, u2 = -1.0 - -2.1f;
        double kl = ((Math.exp(u1) - u1 - 1) + (Math.exp(u2) - u2 - 1)) / 2;
        assertThat(with.diagnostics().klToRef()).isCloseTo(kl, within(1e-6));
        assertThat(with.loss() - without.loss()).isCloseTo(beta * kl, within(1e-6));
        assertThat(with.grad()[0][1] - without.grad()[0][1])
                .isCloseTo((float) (beta * (1 - Math.exp(u1)) / 2), within(1e-6f));
        assertThat(with.grad()[0][2] - without.grad()[0][2])
                .isCloseTo((float) (beta * (1 - Math.exp(u2)) / 2), within(1e-6f));
    }

    @Test
    void reportsEntropyMeanOverValidTokensAndPassesZeroVarianceShareThrough() {
        float[][] entropy = {{99f, 1.0f, 2.0f, NAN}};

        LossDiagnostics none = ObjectiveHarness.run(ObjectiveConfig.defaults(LossMode.GSPO), oneSequence())
                .diagnostics();
        LossDiagnostics some = ObjectiveHarness.run(
                        ObjectiveConfig.defaults(LossMode.GSPO),
                        oneSequence().withEntropy(entropy).withZeroVarianceShare(0.25))
                .diagnostics();

        assertThat(none.entropy()).isNaN();
        assertThat(none.zeroVarianceShare()).isNaN();
        assertThat(some.entropy()).isCloseTo(1.5, within(1e-7));
        assertThat(some.zeroVarianceShare()).isEqualTo(0.25);
        assertThat(some.meanResponseLength()).isEqualTo(2.0);
        assertThat(some.tokens()).isEqualTo(2);
        assertThat(some.sequences()).isEqualTo(1);
    }

    @Test
    void rejectsInputsItCannotScoreWithTheReason() {
        Inputs in = oneSequence();
        assertThatThrownBy(() -> ObjectiveHarness.run(
                        ObjectiveConfig.defaults(LossMode.GSPO), in.withTokenAdvantages(new float[][] {{0, 1, 1, 0}})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gspo-token");
        assertThatThrownBy(() -> ObjectiveHarness.run(
                        ObjectiveConfig.defaults(LossMode.GSPO).withKlBeta(0.1), in))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("refLogprobs");
        float[][] emptyRow = {{0, 1, 1, 0}, {0, 0, 0, 0}};
        assertThatThrownBy(() -> ObjectiveHarness.run(
                        ObjectiveConfig.defaults(LossMode.GRPO),
                        Inputs.of(new float[2][4], new float[2][4], emptyRow, new float[] {1, 1})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sequence 1");
        assertThatThrownBy(() -> ObjectiveHarness.run(
                        ObjectiveConfig.defaults(LossMode.GRPO),
                        Inputs.of(new float[2][4], new float[2][3], new float[2][4], new float[] {1, 1})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("oldLogprobs");
        assertThatThrownBy(() -> ObjectiveHarness.run(
                        ObjectiveConfig.defaults(LossMode.GRPO),
                        Inputs.of(new float[2][4], new float[2][4], new float[2][4], new float[] {1, 1, 1})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("advantages");
    }

    @Test
    void leavesOnlyTheLossBehindAndHandsItToTheCallersScope() {
        Inputs in = RandomBatches.draw(1, 4, 6, 0.1, 0.1);
        PolicyObjective objective = new PolicyObjective(ObjectiveConfig.defaults(LossMode.GSPO_TOKEN));
        try (NDManager m = NDManager.newBaseManager()) {
            PolicyBatch batch = PolicyBatch.of(
                    create(m, in.newLp()), create(m, in.oldLp()), create(m, in.mask()), create(m, in.seqAdv()));
            int before = m.getManagedArrays().size();
            NDArray loss;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                loss = objective.compute(batch).loss();
                assertThat(m.getManagedArrays()).hasSize(before + 1).contains(loss);
            }
            assertThat(loss.isReleased()).as("closed with the caller's scope").isTrue();
            assertThat(m.getManagedArrays()).hasSize(before);
        }
    }
}
