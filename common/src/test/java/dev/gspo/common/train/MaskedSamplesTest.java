package dev.gspo.common.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.TestModels;
import dev.gspo.common.objective.LossMode;
import dev.gspo.common.objective.ObjectiveConfig;
import dev.gspo.common.objective.PolicyObjective;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A masked sample (a truncated response under {@code objective.maskTruncated}) adds nothing to the loss or to its
 * gradient: a step with it masked leaves the weights exactly as a step without it, and the loss is the same.
 */
class MaskedSamplesTest {
    private static final int[] PROMPT = {1, 4, 5};

    private static PolicySample sample(int[] response, double advantage, boolean masked) {
        float[] logprobs = new float[response.length];
        java.util.Arrays.fill(logprobs, -2f);
        return new PolicySample(PROMPT, response, logprobs, advantage, 1f, masked);
    }

    /** @param weights the SHA-256 of the weights' safetensors bytes */
    private record Outcome(String weights, PolicyTrainer.StepResult result, long adamSteps) {}

    /** A fresh model of the same seed after one step on {@code samples} (null: no step). */
    private static Outcome stepOn(List<PolicySample> samples) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, true), 7);
                AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            PolicyTrainer trainer =
                    new PolicyTrainer(model, adam, new PolicyObjective(ObjectiveConfig.defaults(LossMode.GSPO)), 1.0);
            PolicyTrainer.StepResult r = samples == null
                    ? null
                    : trainer.step(samples, 1, 1e-2, OldLogprobs.RECOMPUTE, 0, new SplittableRandom(5));
            String weights = PolicyModel.sha256(model.weightsAsSafetensors());
            model.tokenizer().close();
            return new Outcome(weights, r, adam.step());
        }
    }

    @Test
    void aMaskedSampleContributesNoLossAndNoGradient() {
        PolicySample a = sample(new int[] {6, 7, 2}, 1.0, false);
        PolicySample b = sample(new int[] {9, 3}, -1.0, false);
        // long and with a large advantage: were it trained on, it would dominate the update
        int[] truncated = {11, 12, 13, 14, 11, 12, 13, 14};

        Outcome without = stepOn(List.of(a, b));
        Outcome masked = stepOn(List.of(a, sample(truncated, 3.0, true), b));
        Outcome trained = stepOn(List.of(a, sample(truncated, 3.0, false), b));

        assertThat(masked.weights())
                .as("the update of the other samples, bit for bit")
                .isEqualTo(without.weights());
        assertThat(masked.result().minibatches().getFirst().loss())
                .isEqualTo(without.result().minibatches().getFirst().loss());
        assertThat(masked.result().tokens()).isEqualTo(5);
        assertThat(trained.weights())
                .as("the same sample unmasked does change the update")
                .isNotEqualTo(without.weights());
        assertThat(trained.result().minibatches().getFirst().loss())
                .isNotEqualTo(without.result().minibatches().getFirst().loss());
    }

    @Test
    void aStepWhoseSamplesAreAllMaskedMakesNoUpdate() {
        Outcome untouched = stepOn(null); // the initial weights, no step
        Outcome allMasked = stepOn(List.of(sample(new int[] {6, 7}, 1.0, true), sample(new int[] {9}, -1.0, true)));

        assertThat(allMasked.weights()).isEqualTo(untouched.weights());
        assertThat(allMasked.adamSteps()).isZero();
        assertThat(allMasked.result().minibatches()).isEmpty();
        assertThat(allMasked.result().skipped()).isZero();
        assertThat(allMasked.result().tokens()).isZero();
    }
}
