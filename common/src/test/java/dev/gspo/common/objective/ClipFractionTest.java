package dev.gspo.common.objective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.gspo.common.objective.ObjectiveHarness.Inputs;
import dev.gspo.common.objective.ObjectiveHarness.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The clip fraction counts exactly the samples whose clipped branch is in effect:
 * (Â &gt; 0 and r &gt; 1+ε_high) or (Â &lt; 0 and r &lt; 1−ε_low). Cases built by hand with ε = 0.1.
 */
class ClipFractionTest {

    private static final float NAN = Float.NaN;

    @ParameterizedTest
    @EnumSource(LossMode.class)
    void clipFractionIsZeroOnPolicyAndGradientIsTheAnalyticOne(LossMode mode) {
        Inputs drawn = RandomBatches.draw(3, 6, 9, 0, 0);
        Inputs onPolicy = drawn.withNew(drawn.oldLp()); // π_θ = π_old at every valid token

        Outcome out = ObjectiveHarness.run(ObjectiveConfig.defaults(mode), onPolicy);

        LossDiagnostics d = out.diagnostics();
        assertThat(d.clipSequence()).isEqualTo(new ClipFraction(0, 0, 0));
        assertThat(d.clipToken()).isEqualTo(new ClipFraction(0, 0, 0));
        assertThat(d.ratio()).isEqualTo(new RatioStats(1, 1, 1));
        assertThat(d.approxKl()).isZero();
        // s = w = 1: ∂(−J)/∂log π_θ(y_{i,t}) = −Â_i / (B·|y_i|) at valid tokens, 0 elsewhere
        int b = onPolicy.mask().length;
        for (int i = 0; i < b; i++) {
            int len = 0;
            for (float m : onPolicy.mask()[i]) {
                len += (int) m;
            }
            for (int t = 0; t < onPolicy.mask()[i].length; t++) {
                float expected = onPolicy.mask()[i][t] == 0 ? 0f : -onPolicy.seqAdv()[i] / (b * len);
                assertThat(out.grad()[i][t]).as("grad[%d][%d]", i, t).isCloseTo(expected, within(1e-7f));
            }
        }
    }

    @Test
    void gspoCountsExactlyTheSequencesWhoseClippedBranchIsActiveAndWeighsTokensByLength() {
        // sequence ratio s, advantage, length; bounds [0.9, 1.1]
        double[] s = {1.5, 0.5, 0.5, 1.5, 1.5, 1.05};
        float[] adv = {1, -1, 1, -1, 0, 1};
        int[] len = {2, 3, 1, 4, 2, 2};
        // clipped: 0 (Â>0, s>1.1: high), 1 (Â<0, s<0.9: low); 2 and 3 take the unclipped branch
        // (it is the smaller one), 4 has Â = 0, 5 is inside the range
        Inputs in = sequences(s, adv, len, 5);

        Outcome out =
                ObjectiveHarness.run(ObjectiveConfig.defaults(LossMode.GSPO).withClip(ClipRange.symmetric(0.1)), in);

        LossDiagnostics d = out.diagnostics();
        assertThat(d.clipSequence().low()).isEqualTo(1.0 / 6);
        assertThat(d.clipSequence().high()).isEqualTo(1.0 / 6);
        assertThat(d.clipSequence().total()).isEqualTo(2.0 / 6);
        assertThat(d.clipToken().low()).isEqualTo(3.0 / 14); // all 3 tokens of sequence 1
        assertThat(d.clipToken().high()).isEqualTo(2.0 / 14); // both tokens of sequence 0
        assertThat(d.ratio().min()).isCloseTo(0.5, within(1e-6));
        assertThat(d.ratio().max()).isCloseTo(1.5, within(1e-6));
        // the diagnostic agrees with the gradient: clipped (and Â = 0) sequences get none
        assertThat(out.grad()[0]).containsOnly(0f);
        assertThat(out.grad()[1]).containsOnly(0f);
        assertThat(out.grad()[4]).containsOnly(0f);
        for (int i : new int[] {2, 3, 5}) {
            assertThat(out.grad()[i][0])
                    .as("sequence %d", i)
                    .isCloseTo((float) (-s[i] * adv[i] / (6 * len[i])), within(1e-6f));
        }
    }

    @Test
    void grpoCountsExactlyTheTokensWhoseClippedBranchIsActive() {
        // token ratios w and per-token advantages; bounds [0.9, 1.1]
        double[][] w = {{1.5, 0.5, 0.5, 1.5, 1.05, 1.5}, {0.5, 1.0, 1, 1, 1, 1}};
        float[][] adv = {{1, -1, 1, -1, 1, 0}, {-2, -2, NAN, NAN, NAN, NAN}};
        float[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 0, 0, 0, 0}};
        // clipped: (0,0) high, (0,1) low, (1,0) low; nothing else
        float[][] old = new float[2][6];
        float[][] neu = new float[2][6];
        for (int i = 0; i < 2; i++) {
            for (int t = 0; t < 6; t++) {
                old[i][t] = -1f;
                neu[i][t] = (float) (-1 + Math.log(w[i][t]));
            }
        }

        Outcome out = ObjectiveHarness.run(
                ObjectiveConfig.defaults(LossMode.GRPO).withClip(ClipRange.symmetric(0.1)),
                Inputs.ofTokenAdvantages(neu, old, mask, adv));

        LossDiagnostics d = out.diagnostics();
        assertThat(d.clipToken().low()).isEqualTo(2.0 / 8);
        assertThat(d.clipToken().high()).isEqualTo(1.0 / 8);
        assertThat(d.clipSequence().low()).isCloseTo((1.0 / 6 + 1.0 / 2) / 2, within(1e-15));
        assertThat(d.clipSequence().high()).isCloseTo((1.0 / 6) / 2, within(1e-15));
        assertThat(out.grad()[0][0]).isZero();
        assertThat(out.grad()[0][1]).isZero();
        assertThat(out.grad()[1][0]).isZero();
        assertThat(out.grad()[0][5]).isZero(); // Â = 0
        for (int t : new int[] {2, 3, 4}) {
            assertThat(out.grad()[0][t]).isCloseTo((float) (-w[0][t] * adv[0][t] / (2 * 6)), within(1e-6f));
        }
        assertThat(out.grad()[1][1]).isCloseTo((float) (-1.0 * -2 / (2 * 2)), within(1e-6f));
    }

    /** Sequences of the given lengths whose every token has log-ratio ln(s_i), padded to T with garbage. */
    private static Inputs sequences(double[] s, float[] adv, int[] len, int t) {
        int b = s.length;
        float[][] mask = new float[b][t];
        float[][] old = new float[b][t];
        float[][] neu = new float[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                boolean valid = j < len[i];
                mask[i][j] = valid ? 1 : 0;
                old[i][j] = valid ? -2f - 0.1f * j : NAN;
                neu[i][j] = valid ? (float) (old[i][j] + Math.log(s[i])) : Float.NEGATIVE_INFINITY;
            }
        }
        return Inputs.of(neu, old, mask, adv);
    }
}
