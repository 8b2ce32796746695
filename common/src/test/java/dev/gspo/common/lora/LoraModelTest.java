package dev.gspo.common.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.InvalidModelException;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.model.TestModels;
import dev.gspo.common.scoring.TeacherForcedScorer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A LoRA model's two paths, its start, its merge and its files. */
class LoraModelTest {
    private static final double TOLERANCE = 1e-5;

    @Test
    void aFreshAdapterStartsAtTheBaseModelWithPeftsInitialisation() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelConfig config = TestModels.config("llama", 4, 2, true);
            try (PolicyModel base = TestModels.random(manager, config, 3);
                    LoraWeights fresh = LoraWeights.init(config, LoraConfig.of(4, 8), 7, manager)) {
                for (var e : fresh.byName().entrySet()) {
                    float[] v = e.getValue().toFloatArray();
                    if (e.getKey().endsWith(LoraWeights.B_SUFFIX)) {
                        assertThat(v).as(e.getKey()).containsOnly(0f);
                    } else {
                        double bound = 1 / Math.sqrt(e.getValue().getShape().get(1));
                        double maxAbs = 0;
                        for (float x : v) {
                            maxAbs = Math.max(maxAbs, Math.abs(x));
                        }
                        assertThat(maxAbs)
                                .as("%s spans U(-%s, %s)", e.getKey(), bound, bound)
                                .isGreaterThan(0.8 * bound)
                                .isLessThanOrEqualTo(bound);
                    }
                }
                assertThat(fresh.parameterCount()).isEqualTo(expectedParameters(config, 4));
                base.tokenizer().close();
            }
        }
    }

    /** The fused decode path (merged q/k/v and gate/up, low-rank o and down) and teacher forcing agree. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "qwen3_moe"})
    void decodingAndTeacherForcingAgreeUnderAnAdapter(String type) {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelConfig config = TestModels.config(type, 4, 2, false);
            PolicyModel base = TestModels.random(manager, config, 11);
            try (PolicyModel model = base.withLora(randomAdapter(config, LoraConfig.of(4, 8), 5, manager))) {
                List<SequenceRequest> requests = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    requests.add(new SequenceRequest(
                            new int[] {1, 3 + i, 5, 7 + i}, new SamplingParams(6, 1.0, 1.0, 0, List.of()), 40 + i));
                }
                for (BatchGenerator generator : List.of(new BatchGenerator(model), BatchGenerator.unfused(model))) {
                    List<Completion> out = generator.generate(requests);
                    double worst = worstAgainstTeacherForcing(model, requests, out, manager);
                    assertThat(worst).isLessThanOrEqualTo(TOLERANCE);
                }
                // and the adapter matters: the base model scores the same tokens differently
                List<Completion> out = new BatchGenerator(model).generate(requests);
                try (PolicyModel plain = model.withWeights(Safetensors.read(model.weightsAsSafetensors()), manager)) {
                    assertThat(worstAgainstTeacherForcing(plain, requests, out, manager))
                            .isGreaterThan(1e-2);
                }
                model.tokenizer().close();
            }
        }
    }

    @Test
    void theMergedWeightsComputeWhatTheAdaptedModelComputes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelConfig config = TestModels.config("qwen2", 4, 2, true);
            PolicyModel base = TestModels.random(manager, config, 13);
            try (PolicyModel model = base.withLora(randomAdapter(
                    config, new LoraConfig(3, 6, List.of("q_proj", "o_proj", "down_proj")), 9, manager))) {
                List<SequenceRequest> requests = List.of(
                        new SequenceRequest(new int[] {1, 4, 9}, new SamplingParams(8, 1.0, 1.0, 0, List.of()), 3));
                List<Completion> out = new BatchGenerator(model).generate(requests);
                try (PolicyModel merged =
                        model.withWeights(Safetensors.read(model.mergedWeightsAsSafetensors()), manager)) {
                    assertThat(worstAgainstTeacherForcing(merged, requests, out, manager))
                            .isLessThanOrEqualTo(TOLERANCE);
                }
                model.tokenizer().close();
            }
        }
    }

    @Test
    void refusesAnAdapterThatDoesNotFitTheModel() {
        ModelConfig config = TestModels.config("llama", 4, 2, true); // d 32, kv width 16, ff 64
        assertThat(new LoraConfig(0, 8, LoraConfig.DEFAULT_TARGETS).problems(config))
                .containsExactly("rank must be ≥ 1, got 0");
        assertThat(new LoraConfig(4, 8, List.of("q_proj", "w_proj")).problems(config))
                .containsExactly(
                        "unknown LoRA target 'w_proj'; known: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]");
        assertThat(new LoraConfig(20, 8, List.of("q_proj", "k_proj")).problems(config))
                .containsExactly("rank 20 exceeds the width 16 of k_proj (16 × 32)");
        assertThat(new LoraConfig(4, Double.NaN, List.of("q_proj", "q_proj")).problems(config))
                .containsExactly("alpha must be a positive number, got NaN", "target 'q_proj' is named twice");
        try (NDManager manager = NDManager.newBaseManager()) {
            LoraConfig lora = LoraConfig.of(2, 4);
            Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
            try (LoraWeights fresh = LoraWeights.init(config, lora, 1, manager)) {
                fresh.toTensors().forEach(t -> tensors.put(t.name(), t));
            }
            String a0 = "model.layers.0.self_attn.q_proj.lora_A.weight";
            float[] nan = tensors.get(a0).data().clone();
            nan[5] = Float.NaN;
            Map<String, Safetensors.Tensor> bad = new LinkedHashMap<>(tensors);
            bad.put(a0, Safetensors.Tensor.f32(a0, tensors.get(a0).shape(), nan));
            assertThatThrownBy(() -> LoraWeights.fromTensors(config, lora, bad, manager))
                    .isInstanceOf(InvalidModelException.class)
                    .hasMessage("tensor " + a0 + " has a non-finite value (NaN) at index 5");
            Map<String, Safetensors.Tensor> wrongShape = new LinkedHashMap<>(tensors);
            wrongShape.put(a0, Safetensors.Tensor.f32(a0, new long[] {2, 31}, new float[62]));
            assertThatThrownBy(() -> LoraWeights.fromTensors(config, lora, wrongShape, manager))
                    .hasMessage("tensor " + a0 + " has shape [2, 31], expected [2, 32]");
        }
    }

    @Test
    void aPeftDirectoryRoundTripsToTheSameLogprobs(@TempDir Path dir) {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelConfig config = TestModels.config("qwen3", 4, 2, false);
            PolicyModel base = TestModels.random(manager, config, 21);
            LoraConfig lora = new LoraConfig(2, 16, List.of("v_proj", "up_proj", "q_proj"));
            try (PolicyModel model = base.withLora(randomAdapter(config, lora, 4, manager))) {
                PeftAdapter.write(dir, model.lora().orElseThrow(), "my-base");
                PeftAdapter.Config read = PeftAdapter.readConfig(dir);
                assertThat(read.baseModelNameOrPath()).isEqualTo("my-base");
                assertThat(read.lora().rank()).isEqualTo(2);
                assertThat(read.lora().alpha()).isEqualTo(16.0);
                assertThat(read.lora().targets()).containsExactly("q_proj", "v_proj", "up_proj");
                List<SequenceRequest> requests = List.of(
                        new SequenceRequest(new int[] {1, 4, 9, 2}, new SamplingParams(8, 1.0, 1.0, 0, List.of()), 3));
                List<Completion> out = new BatchGenerator(model).generate(requests);
                PolicyModel base2 = model.withWeights(Safetensors.read(model.weightsAsSafetensors()), manager);
                try (PolicyModel reloaded = base2.withLora(PeftAdapter.read(dir, config, manager))) {
                    float[] want = logprobs(model, requests, out, manager);
                    float[] got = logprobs(reloaded, requests, out, manager);
                    assertThat(got).containsExactly(want);
                }
                model.tokenizer().close();
            }
        }
    }

    /** An adapter with B ≠ 0 (a fresh one computes the base model exactly). */
    static LoraWeights randomAdapter(ModelConfig config, LoraConfig lora, long seed, NDManager manager) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        for (var spec : LoraWeights.specs(config, lora)) {
            float[] d = new float[Math.toIntExact(spec.elementCount())];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (0.3 * rng.nextGaussian());
            }
            tensors.put(spec.name(), Safetensors.Tensor.f32(spec.name(), spec.shape(), d));
        }
        return LoraWeights.fromTensors(config, lora, tensors, manager);
    }

    private static long expectedParameters(ModelConfig c, int r) {
        long d = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        long ff = c.intermediateSize();
        long perLayer = r * ((d + q) + (d + kv) + (d + kv) + (q + d) + 2 * (d + ff) + (ff + d));
        return perLayer * c.numHiddenLayers();
    }

    private static float[] logprobs(
            PolicyModel model, List<SequenceRequest> requests, List<Completion> out, NDManager manager) {
        try (NDScope ignored = new NDScope()) {
            List<int[]> prompts = new ArrayList<>();
            List<int[]> responses = new ArrayList<>();
            float[] temps = new float[requests.size()];
            for (int i = 0; i < requests.size(); i++) {
                prompts.add(requests.get(i).promptTokenIds());
                responses.add(out.get(i).tokenIds());
                temps[i] = 1f;
            }
            return TeacherForcedScorer.score(model.transformer(), manager, prompts, responses, temps)
                    .logprobs()
                    .toFloatArray();
        }
    }

    private static double worstAgainstTeacherForcing(
            PolicyModel model, List<SequenceRequest> requests, List<Completion> out, NDManager manager) {
        float[] tf = logprobs(model, requests, out, manager);
        int width = tf.length / requests.size();
        double worst = 0;
        for (int i = 0; i < requests.size(); i++) {
            float[] lp = out.get(i).logprobs();
            for (int j = 0; j < lp.length; j++) {
                worst = Math.max(worst, Math.abs(lp[j] - tf[i * width + j]));
            }
        }
        return worst;
    }
}
