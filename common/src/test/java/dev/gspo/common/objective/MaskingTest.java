package dev.gspo.common.objective;

import static dev.gspo.common.objective.ObjectiveHarness.fillMasked;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.gspo.common.objective.ObjectiveHarness.Inputs;
import dev.gspo.common.objective.ObjectiveHarness.Outcome;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** docs/ALGORITHM.md §12 "padding leaking into the mean" and "length weighting by accident". */
class MaskingTest {

    private static ObjectiveConfig wide(LossMode mode) {
        return ObjectiveConfig.defaults(mode).withClip(new ClipRange(0.1, 0.15)).withKlBeta(0.1);
    }

    @ParameterizedTest
    @EnumSource(LossMode.class)
    void garbageAtPromptAndPaddingPositionsChangesNeitherLossNorGradient(LossMode mode) {
        Inputs base = RandomBatches.draw(5, 8, 12, 0.2, 0.1);
        float[][] m = base.mask();
        float[][] ref = fillMasked(base.oldLp(), m, 0f);
        float[][] tokAdv = RandomBatches.repeatPerToken(base);
        float[][] entropy = fillMasked(base.oldLp(), m, 0f);
        Inputs clean = (mode == LossMode.GSPO ? base : base.withTokenAdvantages(fillMasked(tokAdv, m, 0f)))
                .withNew(fillMasked(base.newLp(), m, 0f))
                .withOld(fillMasked(base.oldLp(), m, 0f))
                .withRef(fillMasked(ref, m, 0f))
                .withEntropy(fillMasked(entropy, m, 0f));
        Outcome reference = ObjectiveHarness.run(wide(mode), clean);

        for (float garbage : new float[] {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 1e30f, -7f}) {
            Inputs dirty = (mode == LossMode.GSPO ? base : base.withTokenAdvantages(fillMasked(tokAdv, m, garbage)))
                    .withNew(fillMasked(base.newLp(), m, garbage))
                    .withOld(fillMasked(base.oldLp(), m, garbage))
                    .withRef(fillMasked(ref, m, garbage))
                    .withEntropy(fillMasked(entropy, m, garbage));
            Outcome out = ObjectiveHarness.run(wide(mode), dirty);

            assertThat(out.loss()).as("garbage %s", garbage).isEqualTo(reference.loss());
            assertThat(out.grad()).as("garbage %s", garbage).isDeepEqualTo(reference.grad());
            assertThat(out.diagnostics()).as("garbage %s", garbage).isEqualTo(reference.diagnostics());
            for (int i = 0; i < m.length; i++) {
                for (int t = 0; t < m[i].length; t++) {
                    if (m[i][t] == 0) {
                        assertThat(out.grad()[i][t])
                                .as("masked grad[%d][%d]", i, t)
                                .isZero();
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(LossMode.class)
    void sequenceWeightDoesNotGrowWithItsLength(LossMode mode) {
        // sequence 0 has 3 tokens; in the long batch its tokens are repeated (6 tokens, same ratios)
        float[] old0 = {-1.0f, -2.0f, -0.5f};
        float[] new0 = {-0.9f, -2.2f, -0.45f};
        float[][] maskShort = {{1, 1, 1, 0, 0, 0}, {0, 1, 1, 0, 0, 0}};
        float[][] maskLong = {{1, 1, 1, 1, 1, 1}, {0, 1, 1, 0, 0, 0}};
        float[][] oldShort = {{old0[0], old0[1], old0[2], 0, 0, 0}, {0, -1.5f, -0.7f, 0, 0, 0}};
        float[][] newShort = {{new0[0], new0[1], new0[2], 0, 0, 0}, {0, -1.4f, -0.8f, 0, 0, 0}};
        float[][] oldLong = {{old0[0], old0[1], old0[2], old0[0], old0[1], old0[2]}, oldShort[1]};
        float[][] newLong = {{new0[0], new0[1], new0[2], new0[0], new0[1], new0[2]}, newShort[1]};
        float[] adv = {1.0f, -0.5f};
        ObjectiveConfig config = ObjectiveConfig.defaults(mode).withClip(ClipRange.symmetric(0.2));

        Outcome shortBatch = ObjectiveHarness.run(config, Inputs.of(newShort, oldShort, maskShort, adv));
        Outcome longBatch = ObjectiveHarness.run(config, Inputs.of(newLong, oldLong, maskLong, adv));

        assertThat(longBatch.loss()).isCloseTo(shortBatch.loss(), within(1e-6));
        // the same total push on sequence 0, spread over twice the tokens
        assertThat(rowSum(longBatch.grad()[0])).isCloseTo(rowSum(shortBatch.grad()[0]), within(1e-6));
        assertThat(longBatch.grad()[0][3]).isCloseTo(shortBatch.grad()[0][0] / 2, within(1e-6f));
        assertThat(longBatch.grad()[1]).containsExactly(shortBatch.grad()[1]);
    }

    private static double rowSum(float[] row) {
        double s = 0;
        for (float v : row) {
            s += v;
        }
        return s;
    }
}
