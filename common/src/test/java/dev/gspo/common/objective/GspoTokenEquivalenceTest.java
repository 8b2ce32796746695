package dev.gspo.common.objective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.gspo.common.objective.ObjectiveHarness.Inputs;
import dev.gspo.common.objective.ObjectiveHarness.Outcome;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** docs/ALGORITHM.md §5: with per-sequence advantages, GSPO-token has GSPO's value and gradient. */
class GspoTokenEquivalenceTest {

    @ParameterizedTest(name = "eps {0}/{1}, shift {2}")
    @CsvSource({
        "0.0003, 0.0004, 0.0005", // paper preset, both sides clipped
        "0.2, 0.27, 0.3",
        "0.05, 0.3, 0.2"
    })
    void gspoTokenMatchesGspoInValueAndGradientForSequenceAdvantages(double low, double high, double shift) {
        Inputs in = RandomBatches.draw(11, 16, 10, shift, shift / 2);
        ClipRange clip = new ClipRange(low, high);

        Outcome gspo =
                ObjectiveHarness.run(ObjectiveConfig.defaults(LossMode.GSPO).withClip(clip), in);
        Outcome token = ObjectiveHarness.run(
                ObjectiveConfig.defaults(LossMode.GSPO_TOKEN).withClip(clip), in);
        Outcome tokenWithRepeatedAdvantages = ObjectiveHarness.run(
                ObjectiveConfig.defaults(LossMode.GSPO_TOKEN).withClip(clip),
                in.withTokenAdvantages(RandomBatches.repeatPerToken(in)));

        assertThat(gspo.diagnostics().clipSequence().total())
                .as("some clipping happens")
                .isPositive();
        for (Outcome other : new Outcome[] {token, tokenWithRepeatedAdvantages}) {
            assertThat(other.loss()).isCloseTo(gspo.loss(), within(1e-6));
            for (int i = 0; i < gspo.grad().length; i++) {
                for (int t = 0; t < gspo.grad()[i].length; t++) {
                    assertThat(other.grad()[i][t]).as("grad[%d][%d]", i, t).isCloseTo(gspo.grad()[i][t], within(1e-6f));
                }
            }
            assertThat(other.diagnostics().clipToken())
                    .isEqualTo(gspo.diagnostics().clipToken());
            assertThat(other.diagnostics().clipSequence())
                    .isEqualTo(gspo.diagnostics().clipSequence());
        }
    }
}
