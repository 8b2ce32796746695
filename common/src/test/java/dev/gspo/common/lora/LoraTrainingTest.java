package dev.gspo.common.lora;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.TestModels;
import dev.gspo.common.train.AdamW;
import dev.gspo.common.train.SupervisedTrainer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Training a LoRA model moves the adapters only: the base stays bit for bit, AdamW holds the adapters' moments. */
class LoraTrainingTest {

    @Test
    void trainingUpdatesTheAdaptersAndLeavesTheBaseBitIdentical() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelConfig config = TestModels.config("llama", 4, 2, true);
            PolicyModel base = TestModels.random(manager, config, 17);
            base.weights().parameters().forEach(p -> p.setRequiresGradient(true)); // as after a full warm start
            byte[] baseBefore = base.weightsAsSafetensors();
            try (PolicyModel model = base.withLora(LoraWeights.init(config, LoraConfig.of(4, 16), 3, manager));
                    AdamW adam = new AdamW(model.trainableParameters(), AdamW.Hyper.defaults(), manager)) {
                assertThat(model.mergedWeightsAsSafetensors())
                        .as("B = 0: the adapted model is the base")
                        .isEqualTo(baseBefore);
                SupervisedTrainer trainer = new SupervisedTrainer(model, adam, 1.0);
                List<int[]> prompts = List.of(new int[] {1, 4, 5}, new int[] {1, 6});
                List<int[]> completions = List.of(new int[] {7, 8, 2}, new int[] {9, 2});
                double first = trainer.step(prompts, completions, 1e-2).loss();
                double last = first;
                for (int i = 0; i < 20; i++) {
                    last = trainer.step(prompts, completions, 1e-2).loss();
                }
                assertThat(last).as("the adapters learn").isLessThan(first * 0.5);
                assertThat(model.weightsAsSafetensors()).as("base weights").isEqualTo(baseBefore);
                assertThat(model.mergedWeightsAsSafetensors()).isNotEqualTo(baseBefore);
                assertThat(adam.stateTensors())
                        .extracting(t -> t.name().replaceFirst("^exp_avg(_sq)?\\.", ""))
                        .allMatch(n -> n.endsWith(LoraWeights.A_SUFFIX) || n.endsWith(LoraWeights.B_SUFFIX))
                        .hasSize(2 * model.trainableParameters().size());
                model.tokenizer().close();
            }
        }
    }
}
