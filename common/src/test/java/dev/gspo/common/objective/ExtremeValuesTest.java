package dev.gspo.common.objective;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.objective.ObjectiveHarness.Inputs;
import dev.gspo.common.objective.ObjectiveHarness.Outcome;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** docs/ALGORITHM.md §12 "exp overflow → NaN": log-ratios of ±1e4 and −inf at masked positions stay finite. */
class ExtremeValuesTest {

    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    @ParameterizedTest
    @EnumSource(LossMode.class)
    void hugeLogRatiosAndInfiniteMaskedLogprobsGiveFiniteLossAndGradient(LossMode mode) {
        float[][] mask = {{1, 1, 1, 0}, {0, 1, 1, 1}, {1, 1, 0, 0}, {1, 0, 0, 0}};
        float[][] old = {
            {-1, -2, -1, NEG_INF}, {NEG_INF, -1, -1, -1}, {-3, -1, Float.NaN, NEG_INF}, {-1, NEG_INF, NEG_INF, NEG_INF}
        };
        float[][] neu = {
            {1e4f, 1e4f, -1, NEG_INF},
            {NEG_INF, -1e4f, -1e4f, -2},
            {-1e4f, 1e4f, NEG_INF, Float.NaN},
            {-1e4f, NEG_INF, NEG_INF, NEG_INF}
        };
        float[][] ref = {
            {-1, -1, -1e4f, NEG_INF},
            {NEG_INF, -1, 1e4f, -1},
            {-1, -1, NEG_INF, NEG_INF},
            {1e4f, NEG_INF, NEG_INF, NEG_INF}
        };
        float[] adv = {1, -1, 1, -1};
        // advantages of both signs so that both the clipped and the unclipped branches are taken
        for (float[] a : new float[][] {adv, {-1, 1, -1, 1}}) {
            Inputs in = Inputs.of(neu, old, mask, a).withRef(ref);
            Outcome out = ObjectiveHarness.run(ObjectiveConfig.defaults(mode).withKlBeta(0.1), in);

            assertThat(out.loss()).isFinite();
            for (float[] row : out.grad()) {
                for (float g : row) {
                    assertThat(g).isFinite();
                }
            }
            LossDiagnostics d = out.diagnostics();
            assertThat(d.ratio().max()).isFinite().isLessThanOrEqualTo(Math.exp(20) * (1 + 1e-6));
            assertThat(d.ratio().min()).isPositive();
            assertThat(d.klToRef()).isFinite();
            assertThat(d.approxKl()).isFinite();
        }
    }
}
