package dev.gspo.common.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.gspo.common.model.InvalidModelException;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.model.TestModels;
import dev.gspo.common.scoring.TeacherForcedScorer;
import dev.gspo.common.train.AdamW;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.common.train.SupervisedTrainer;
import dev.gspo.common.train.TrainerState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A LoRA checkpoint: adapters + their AdamW moments + the base's SHA-256, and a resume that refuses another base. */
class LoraCheckpointTest {
    private static final List<int[]> PROMPTS = List.of(new int[] {1, 4, 5}, new int[] {1, 6});
    private static final List<int[]> COMPLETIONS = List.of(new int[] {7, 8, 2}, new int[] {9, 2});

    @Test
    void aLoraCheckpointHoldsAdaptersAndTheirMomentsAndResumesToTheSameLogprobs(@TempDir Path root) {
        ModelConfig config = TestModels.config("llama", 4, 2, true);
        Path baseDir = root.resolve("base");
        Path ckpt = root.resolve("step-2");
        float[] before;
        try (NDManager manager = NDManager.newBaseManager()) {
            PolicyModel base = TestModels.random(manager, config, 5);
            base.save(baseDir);
            String baseSha = PolicyModel.sha256(base.weightsAsSafetensors());
            try (PolicyModel model = base.withLora(LoraWeights.init(config, LoraConfig.of(4, 16), 3, manager));
                    AdamW adam = new AdamW(model.trainableParameters(), AdamW.Hyper.defaults(), manager)) {
                SupervisedTrainer trainer = new SupervisedTrainer(model, adam, 1.0);
                trainer.step(PROMPTS, COMPLETIONS, 1e-2);
                trainer.step(PROMPTS, COMPLETIONS, 1e-2);
                Checkpoint.write(
                        ckpt,
                        model,
                        adam,
                        new TrainerState("run-1", 2, 3, adam.step(), 1, null, null)
                                .withLoraBase(new TrainerState.LoraBase(baseDir.toString(), baseSha)));
                before = logprobs(model, manager);
            }
            base.tokenizer().close();
        }
        assertThat(ckpt.resolve(PolicyModel.WEIGHTS_FILE)).doesNotExist();
        assertThat(ckpt.resolve(PeftAdapter.CONFIG_FILE)).isRegularFile();
        assertThat(ckpt.resolve(PeftAdapter.WEIGHTS_FILE)).isRegularFile();
        TrainerState state = Checkpoint.read(ckpt);
        assertThat(state.files())
                .containsKeys(PeftAdapter.WEIGHTS_FILE, PeftAdapter.CONFIG_FILE, "optimizer.safetensors");
        assertThat(Checkpoint.optimizerState(ckpt).keySet())
                .isNotEmpty()
                .allMatch(n -> n.endsWith(LoraWeights.A_SUFFIX) || n.endsWith(LoraWeights.B_SUFFIX));
        try (NDManager manager = NDManager.newBaseManager()) {
            PolicyModel base = Checkpoint.loraBase(state, manager);
            try (PolicyModel resumed = base.withLora(Checkpoint.loraAdapters(ckpt, base.config(), manager));
                    AdamW adam = AdamW.restore(
                            resumed.trainableParameters(),
                            AdamW.Hyper.defaults(),
                            Checkpoint.optimizerState(ckpt),
                            state.optimizerStep(),
                            manager)) {
                assertThat(logprobs(resumed, manager)).containsExactly(before);
                assertThat(adam.step()).isEqualTo(2);
            }
            base.tokenizer().close();
        }
    }

    @Test
    void refusesToResumeOnAnotherBase(@TempDir Path root) {
        ModelConfig config = TestModels.config("llama", 4, 2, true);
        Path baseDir = root.resolve("base");
        try (NDManager manager = NDManager.newBaseManager()) {
            PolicyModel base = TestModels.random(manager, config, 5);
            String sha = PolicyModel.sha256(base.weightsAsSafetensors());
            Map<String, Safetensors.Tensor> other = new LinkedHashMap<>();
            for (Safetensors.Tensor t : base.weights().toTensors()) {
                float[] d = t.data().clone();
                d[0] += 1e-3f; // one weight of each tensor moved: another base of the same shape
                other.put(t.name(), Safetensors.Tensor.f32(t.name(), t.shape(), d));
            }
            try (PolicyModel changed = base.withWeights(other, manager)) {
                changed.save(baseDir);
                String otherSha = PolicyModel.sha256(changed.weightsAsSafetensors());
                TrainerState state = new TrainerState("run-1", 2, 3, 2, 1, null, null)
                        .withLoraBase(new TrainerState.LoraBase(baseDir.toString(), sha));
                assertThatThrownBy(() -> Checkpoint.loraBase(state, manager))
                        .isInstanceOf(InvalidModelException.class)
                        .hasMessage(
                                "the checkpoint's adapters were trained on base weights with sha256 " + sha + ", but "
                                        + baseDir + " holds weights with sha256 " + otherSha
                                        + ": a different base model; refusing to resume");
            }
            base.close();
            base.tokenizer().close();
        }
        assertThat(Files.exists(baseDir)).isTrue();
    }

    private static float[] logprobs(PolicyModel model, NDManager manager) {
        try (NDScope ignored = new NDScope()) {
            return TeacherForcedScorer.score(model.transformer(), manager, PROMPTS, COMPLETIONS, new float[] {1f, 1f})
                    .logprobs()
                    .toFloatArray();
        }
    }
}
