package dev.gspo.common.objective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.gspo.common.objective.ObjectiveHarness.Inputs;
import dev.gspo.common.objective.ObjectiveHarness.Outcome;
import org.junit.jupiter.api.Test;

/** docs/ALGORITHM.md §13: one response, 3 valid tokens and one padding position, ε = 0.2 both sides. */
class WorkedExampleTest {

    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private static Inputs workedExample() {
        float[][] mask = {{1, 1, 1, 0}};
        float[][] oldLp = {{-1f, -1f, -1f, Float.NaN}};
        float[][] newLp = {{-1.69315f, -1.0f, -0.59453f, NEG_INF}};
        float[][] adv = {{1f, -1f, 2f, Float.NaN}};
        return Inputs.ofTokenAdvantages(newLp, oldLp, mask, adv);
    }

    @Test
    void gspoTokenReproducesTheWorkedExampleLoss() {
        Outcome out = ObjectiveHarness.run(
                ObjectiveConfig.defaults(LossMode.GSPO_TOKEN).withClip(ClipRange.symmetric(0.2)), workedExample());

        // s = exp(mean(−0.69315, 0, 0.40547)) = 0.9086, inside [0.8, 1.2]; loss = −s·mean(Â) = −0.6057
        assertThat(out.loss()).isCloseTo(-0.6057, within(1e-4));
        assertThat(out.diagnostics().ratio().mean()).isCloseTo(0.9086, within(1e-4));
        assertThat(out.diagnostics().clipToken().total()).isZero();
    }

    @Test
    void gspoTokenWorkedExampleGradientIsSequenceRatioTimesTokenAdvantageOverLength() {
        Outcome out = ObjectiveHarness.run(
                ObjectiveConfig.defaults(LossMode.GSPO_TOKEN).withClip(ClipRange.symmetric(0.2)), workedExample());

        // ∂(−J)/∂log π_θ(y_t) = −s·Â_t/|y| for unclipped tokens; 0 at the padding position
        double s = Math.exp((-0.69315 + 0.0 + 0.40547) / 3);
        assertThat(out.grad()[0][0]).isCloseTo((float) (-s * 1 / 3), within(1e-5f));
        assertThat(out.grad()[0][1]).isCloseTo((float) (-s * -1 / 3), within(1e-5f));
        assertThat(out.grad()[0][2]).isCloseTo((float) (-s * 2 / 3), within(1e-5f));
        assertThat(out.grad()[0][3]).isZero();
    }
}
