package dev.gspo.common.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.TestModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SupervisedTrainerTest {

    @Test
    void learnsAMappingItCouldNotDoBefore() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = PolicyModel.create(
                        TestModels.config("llama", 4, 2, true),
                        TestModels.TOKENIZER_DIR.resolve("tokenizer.json"),
                        1,
                        manager);
                AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            // task: after <bos> t, answer 15 − t then <eos> (tokens 3..15 → 15..3)
            List<int[]> prompts = new ArrayList<>();
            List<int[]> answers = new ArrayList<>();
            for (int t = 3; t < 16; t++) {
                prompts.add(new int[] {1, t});
                answers.add(new int[] {18 - t, 2});
            }
            SupervisedTrainer trainer = new SupervisedTrainer(model, adam, 1.0);
            double first = trainer.step(prompts, answers, 3e-3).loss();
            SupervisedTrainer.StepResult last = null;
            for (int i = 0; i < 150; i++) {
                last = trainer.step(prompts, answers, 3e-3);
            }
            assertThat(last.loss()).isLessThan(first / 10);
            assertThat(last.skipped()).isFalse();
            assertThat(adam.step()).isEqualTo(151);
            List<SequenceRequest> requests = new ArrayList<>();
            for (int[] p : prompts) {
                requests.add(new SequenceRequest(p, SamplingParams.greedy(2, List.of()), 0));
            }
            List<Completion> out = new BatchGenerator(model).generate(requests);
            for (int i = 0; i < out.size(); i++) {
                assertThat(out.get(i).tokenIds()).isEqualTo(answers.get(i));
            }
            model.tokenizer().close();
        }
    }
}
