package dev.gspo.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"qwen2", "qwen3", "qwen3_moe"})
    void savedModelLoadsBackWithIdenticalWeightsAndConfig(String type, @TempDir Path dir) throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config(type, 4, 2, false), 7)) {
            model.save(dir);
            assertThat(dir.resolve("config.json")).exists();
            assertThat(dir.resolve("tokenizer.json")).exists();
            try (PolicyModel loaded = PolicyModel.load(dir, manager)) {
                assertThat(loaded.config()).isEqualTo(model.config());
                assertThat(loaded.weightsAsSafetensors()).isEqualTo(model.weightsAsSafetensors());
                loaded.tokenizer().close();
            }
            assertThat(Files.readString(dir.resolve("config.json")))
                    .contains(
                            "\"model_type\" : \"" + type + "\"",
                            model.config().architecture().hfArchitecture());
        }
    }

    @Test
    void theBuiltinMoeModelIsASmallQwen3MoeWithEightExpertsInEveryLayer(@TempDir Path dir) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = BuiltinModel.create("moe", dir, 3, manager)) {
            assertThat(model.config().modelType()).isEqualTo("qwen3_moe");
            assertThat(model.config().moe()).isEqualTo(new MoeConfig(8, 2, 64, true, 1, List.of()));
            assertThat(model.weights().layers())
                    .allMatch(l -> l.sparse() && l.experts().size() == 8);
            assertThat(model.weights().parameterCount()).isBetween(400_000L, 700_000L);
            assertThat(ModelConfig.read(dir.resolve("config.json"))).isEqualTo(model.config());
            model.tokenizer().close();
        }
    }

    @Test
    void createIsReproducibleFromTheSeed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelConfig config = TestModels.config("llama", 4, 2, true);
            Path tok = TestModels.TOKENIZER_DIR.resolve("tokenizer.json");
            try (PolicyModel a = PolicyModel.create(config, tok, 5, manager);
                    PolicyModel b = PolicyModel.create(config, tok, 5, manager);
                    PolicyModel c = PolicyModel.create(config, tok, 6, manager)) {
                assertThat(a.weightsAsSafetensors()).isEqualTo(b.weightsAsSafetensors());
                assertThat(a.weightsAsSafetensors()).isNotEqualTo(c.weightsAsSafetensors());
                assertThat(a.weights().parameterCount())
                        .isEqualTo(16 * 32 + 2 * (32 + 32 * 32 + 2 * 16 * 32 + 32 * 32 + 32 + 3 * 64 * 32) + 32);
            }
        }
    }

    @Test
    void unknownModelTypeIsAnErrorThatNamesIt() {
        assertThatThrownBy(() -> TestModels.config("mamba", 4, 2, false))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("mamba")
                .hasMessageContaining("llama")
                .hasMessageContaining("qwen2");
    }

    @Test
    void missingTensorIsAnErrorThatNamesIt() {
        ModelConfig config = TestModels.config("qwen2", 4, 2, true);
        Map<String, Safetensors.Tensor> tensors = tensorsOf(config);
        tensors.remove("model.layers.1.self_attn.k_proj.bias");
        assertThatThrownBy(() -> PolicyWeights.validate(config, tensors))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("missing tensor model.layers.1.self_attn.k_proj.bias");
    }

    @Test
    void moeTensorsAreCheckedByNameExpertByExpertAndDenseMlpTensorsAreUnexpectedInASparseLayer() {
        ModelConfig config = TestModels.config("qwen3_moe", 4, 2, true);
        Map<String, Safetensors.Tensor> tensors = tensorsOf(config);
        tensors.remove("model.layers.1.mlp.experts.3.up_proj.weight");
        tensors.remove("model.layers.0.self_attn.q_norm.weight");
        tensors.put(
                "model.layers.0.mlp.up_proj.weight",
                Safetensors.Tensor.f32("model.layers.0.mlp.up_proj.weight", new long[] {64, 32}, new float[2048]));
        assertThatThrownBy(() -> PolicyWeights.validate(config, tensors))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("missing tensor model.layers.1.mlp.experts.3.up_proj.weight [16, 32]")
                .hasMessageContaining("missing tensor model.layers.0.self_attn.q_norm.weight [12]")
                .hasMessageContaining("unexpected tensor model.layers.0.mlp.up_proj.weight for model_type qwen3_moe");
    }

    @Test
    void moeSettingsMissingFromConfigJsonTakeHfDefaultsAndMlpOnlyLayersStayDense() throws Exception {
        ModelConfig c = ModelConfig.fromJson(new com.fasterxml.jackson.databind.ObjectMapper().readTree("""
                {"model_type":"qwen3_moe","vocab_size":16,"hidden_size":32,"intermediate_size":64,
                 "num_hidden_layers":4,"num_attention_heads":4,"max_position_embeddings":64,
                 "decoder_sparse_step":2,"mlp_only_layers":[3]}"""), "test");
        assertThat(c.moe()).isEqualTo(new MoeConfig(128, 8, 768, false, 2, List.of(3)));
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(java.util.stream.IntStream.range(0, 4).mapToObj(c::isSparseLayer))
                .containsExactly(false, true, false, false);
    }

    @Test
    void wrongShapeIsAnErrorThatNamesTheTensorAndBothShapes() {
        ModelConfig config = TestModels.config("llama", 4, 2, false);
        Map<String, Safetensors.Tensor> tensors = tensorsOf(config);
        tensors.put(
                "model.layers.0.mlp.up_proj.weight",
                Safetensors.Tensor.f32("model.layers.0.mlp.up_proj.weight", new long[] {32, 64}, new float[2048]));
        assertThatThrownBy(() -> PolicyWeights.validate(config, tensors))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("model.layers.0.mlp.up_proj.weight has shape [32, 64], expected [64, 32]");
    }

    @Test
    void tensorTheArchitectureWouldIgnoreIsRefused() {
        ModelConfig config = TestModels.config("llama", 4, 2, false);
        Map<String, Safetensors.Tensor> tensors = tensorsOf(config);
        tensors.put(
                "model.layers.0.self_attn.q_proj.bias",
                Safetensors.Tensor.f32("model.layers.0.self_attn.q_proj.bias", new long[] {32}, new float[32]));
        assertThatThrownBy(() -> PolicyWeights.validate(config, tensors))
                .hasMessageContaining("unexpected tensor model.layers.0.self_attn.q_proj.bias");
    }

    /** A config.json that is not JSON (a key file put there): the error tells where, never what the file holds. */
    @Test
    void aBrokenConfigIsNeverQuotedInTheError(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("config.json");
        String secret = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        for (String text : new String[] {secret, "{\"model_type\": " + secret + "}"}) {
            Files.writeString(cfg, text);
            assertThatThrownBy(() -> ModelConfig.read(cfg))
                    .hasMessageContaining("is not valid JSON (line 1, column ")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret.substring(0, 8)));
        }
    }

    @Test
    void configRefusesRopeScalingAndOtherActivations(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, """
                {"model_type":"llama","vocab_size":16,"hidden_size":32,"intermediate_size":64,
                 "num_hidden_layers":1,"num_attention_heads":4,"max_position_embeddings":64,
                 "rope_scaling":{"type":"linear","factor":2.0}}""");
        assertThatThrownBy(() -> ModelConfig.read(cfg)).hasMessageContaining("rope_scaling");
        Files.writeString(cfg, """
                {"model_type":"llama","vocab_size":16,"hidden_size":32,"intermediate_size":64,
                 "num_hidden_layers":1,"num_attention_heads":4,"max_position_embeddings":64,"hidden_act":"gelu"}""");
        assertThatThrownBy(() -> ModelConfig.read(cfg)).hasMessageContaining("gelu");
        Files.writeString(cfg, """
                {"model_type":"llama","vocab_size":16,"hidden_size":32,"num_hidden_layers":1,
                 "num_attention_heads":4,"max_position_embeddings":64}""");
        assertThatThrownBy(() -> ModelConfig.read(cfg)).hasMessageContaining("intermediate_size");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "llama,true",
        "llama,false",
        "qwen2,true",
        "qwen3,false",
        "qwen3_moe,true"
    })
    void theBodyLengthFromTheConfigAloneIsTheLengthOfTheSerialisedWeights(String type, boolean tied) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config(type, 4, 2, tied), 3)) {
            assertThat(PolicyWeights.safetensorsLength(model.config())).isEqualTo(model.weightsAsSafetensors().length);
            model.tokenizer().close();
        }
    }

    /**
     * Qwen3-0.6B's own config.json (596,049,920 parameters, 0.44B without the embedding, as its model card says): 2.38 GB
     * of float32 weights, over one body. The weights file is not safetensors at all: the refusal must come first.
     */
    @Test
    void aModelTooLargeForOneWeightBodyIsRefusedBeforeItsWeightsAreRead(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), """
                {"model_type":"qwen3","vocab_size":151936,"hidden_size":1024,"intermediate_size":3072,
                 "num_hidden_layers":28,"num_attention_heads":16,"num_key_value_heads":8,"head_dim":128,
                 "max_position_embeddings":40960,"rope_theta":1000000,"rms_norm_eps":1e-6,
                 "tie_word_embeddings":true,"eos_token_id":151645}""");
        Files.writeString(dir.resolve("model.safetensors"), "not read");
        Files.writeString(dir.resolve("tokenizer.json"), "not read");
        assertThatThrownBy(() -> PolicyModel.load(dir, null))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("model_type qwen3 with 596,049,920 parameters is too large")
                .hasMessageContaining("at most 2,147,483,639 bytes");
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        assertThatThrownBy(() -> PolicyModel.create(config, dir.resolve("tokenizer.json"), 1, null))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("too large");
    }

    /** Qwen2-0.5B's config.json (494,032,768 parameters, as published): 1.98 GB of float32 weights, under the limit. */
    @Test
    void qwen2HalfBillionFitsInOneWeightBody(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), """
                {"model_type":"qwen2","vocab_size":151936,"hidden_size":896,"intermediate_size":4864,
                 "num_hidden_layers":24,"num_attention_heads":14,"num_key_value_heads":2,
                 "max_position_embeddings":32768,"rope_theta":1000000,"rms_norm_eps":1e-6,
                 "tie_word_embeddings":true,"eos_token_id":151643}""");
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        PolicyWeights.requireOneBody(config);
        assertThat(PolicyWeights.safetensorsLength(config))
                .isGreaterThan(4L * 494_032_768)
                .isLessThan(4L * 494_032_768 + 64 * 1024)
                .isLessThanOrEqualTo(PolicyWeights.MAX_SAFETENSORS_BYTES);
    }

    @Test
    void missingModelFileIsNamed(@TempDir Path dir) {
        assertThatThrownBy(() -> PolicyModel.load(dir, null)).hasMessageContaining("config.json");
    }

    @Test
    void configReadsHfDefaultsAndListEos(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, """
                {"model_type":"qwen2","vocab_size":16,"hidden_size":32,"intermediate_size":64,
                 "num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":2,
                 "max_position_embeddings":64,"eos_token_id":[2,3],"tie_word_embeddings":true}""");
        ModelConfig c = ModelConfig.read(cfg);
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.attentionBias()).isTrue();
        assertThat(c.eosTokenIds()).containsExactly(2, 3);
        assertThat(c.ropeTheta()).isEqualTo(10000.0);
        c.write(cfg);
        assertThat(ModelConfig.read(cfg)).isEqualTo(c);
    }

    static Map<String, Safetensors.Tensor> tensorsOf(ModelConfig config) {
        Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
        for (TensorSpec s : config.architecture().tensors(config)) {
            out.put(s.name(), Safetensors.Tensor.f32(s.name(), s.shape(), new float[(int) s.elementCount()]));
        }
        return out;
    }

    static List<String> names(Map<String, ?> m) {
        return List.copyOf(m.keySet());
    }
}
