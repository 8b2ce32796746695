package dev.gspo.common.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.model.InvalidModelException;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.model.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adapter files against PEFT's naming, derived here the way PEFT derives it rather than from our own code:
 *
 * <ol>
 *   <li>{@code get_peft_model(model, LoraConfig(target_modules=[…]))} wraps the HF model: {@code PeftModel.base_model}
 *       is a {@code LoraModel}, whose {@code model} is the {@code *ForCausalLM}; its decoder is {@code model}, so the
 *       q projection of block 0 is the module {@code base_model.model.model.layers.0.self_attn.q_proj};
 *   <li>every module whose name ends with a target becomes a LoRA {@code Linear} holding
 *       {@code lora_A = ModuleDict({"default": nn.Linear(in, r, bias=False)})} and
 *       {@code lora_B = ModuleDict({"default": nn.Linear(r, out, bias=False)})}: parameters
 *       {@code <module>.lora_A.default.weight} [r, in] and {@code <module>.lora_B.default.weight} [out, r]
 *       ({@code nn.Linear} stores [out_features, in_features]);
 *   <li>{@code save_pretrained} writes {@code get_peft_model_state_dict}: with {@code bias="none"} the keys containing
 *       {@code lora_}, then {@code k.replace(".default", "")} ("REMOVE ADAPTER NAME" in
 *       huggingface/peft {@code src/peft/utils/save_and_load.py}).
 * </ol>
 */
class PeftNamingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void tensorNamesAndShapesAreThoseThatPeftSaves(@TempDir Path dir) {
        ModelConfig config = TestModels.config("qwen2", 4, 2, true); // d 32, q 32, kv 16, ff 64, 2 layers
        LoraConfig lora = new LoraConfig(3, 6, List.of("q_proj", "v_proj", "down_proj"));
        Map<String, long[]> peft = new LinkedHashMap<>();
        long[][] inOut = {{32, 32}, {32, 16}, {64, 32}}; // q: 32 → 32, v: 32 → 16, down: 64 → 32
        String[] modules = {"self_attn.q_proj", "self_attn.v_proj", "mlp.down_proj"};
        for (int layer = 0; layer < 2; layer++) {
            for (int m = 0; m < modules.length; m++) {
                String module = "base_model.model.model.layers." + layer + "." + modules[m];
                peft.put(module + ".lora_A.default.weight", new long[] {3, inOut[m][0]});
                peft.put(module + ".lora_B.default.weight", new long[] {inOut[m][1], 3});
            }
        }
        Map<String, long[]> saved = new LinkedHashMap<>();
        peft.forEach((k, shape) -> saved.put(k.replace(".default", ""), shape));

        try (NDManager manager = NDManager.newBaseManager();
                LoraWeights adapter = LoraWeights.init(config, lora, 1, manager)) {
            PeftAdapter.write(dir, adapter, "Qwen/Qwen2-0.5B");
            Map<String, Safetensors.Tensor> written = Safetensors.read(dir.resolve(PeftAdapter.WEIGHTS_FILE));
            assertThat(written.keySet()).containsExactlyInAnyOrderElementsOf(saved.keySet());
            saved.forEach((name, shape) ->
                    assertThat(written.get(name).shape()).as(name).containsExactly(shape));
            assertThat(written).containsKey("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
        }
    }

    @Test
    void adapterConfigHasTheKeysPeftWritesForPlainLora(@TempDir Path dir) throws Exception {
        ModelConfig config = TestModels.config("llama", 4, 2, true);
        try (NDManager manager = NDManager.newBaseManager();
                LoraWeights adapter = LoraWeights.init(config, LoraConfig.of(8, 16), 1, manager)) {
            PeftAdapter.write(dir, adapter, "/models/base");
        }
        JsonNode n = JSON.readTree(dir.resolve(PeftAdapter.CONFIG_FILE).toFile());
        assertThat(n.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(n.get("task_type").asText()).isEqualTo("CAUSAL_LM");
        assertThat(n.get("r").asInt()).isEqualTo(8);
        assertThat(n.get("lora_alpha").asDouble()).isEqualTo(16.0);
        assertThat(n.get("bias").asText()).isEqualTo("none");
        assertThat(n.get("base_model_name_or_path").asText()).isEqualTo("/models/base");
        assertThat(n.get("use_rslora").asBoolean()).isFalse();
        assertThat(n.get("use_dora").asBoolean()).isFalse();
        assertThat(n.get("lora_dropout").asDouble()).isZero();
        List<String> targets = new ArrayList<>();
        n.get("target_modules").forEach(t -> targets.add(t.asText()));
        assertThat(targets)
                .containsExactly("down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj");
    }

    @Test
    void refusesPeftConfigsThatComputeSomethingElse() throws Exception {
        JsonNode ok = PeftAdapter.configJson(LoraConfig.of(4, 8), "base");
        assertThat(PeftAdapter.parseConfig(ok, "adapter_config.json").lora()).isEqualTo(LoraConfig.of(4, 8));
        var rslora = ok.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) rslora).put("use_rslora", true);
        assertThatThrownBy(() -> PeftAdapter.parseConfig(rslora, "adapter_config.json"))
                .isInstanceOf(InvalidModelException.class)
                .hasMessage("adapter_config.json: use_rslora is true (not supported)");
        var regex = ok.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) regex).put("target_modules", ".*proj");
        assertThatThrownBy(() -> PeftAdapter.parseConfig(regex, "adapter_config.json"))
                .hasMessage("adapter_config.json: target_modules is \".*proj\", expected a non-empty list of module"
                        + " names");
        var pattern = ok.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) pattern)
                .putObject("rank_pattern")
                .put("q_proj", 2);
        assertThatThrownBy(() -> PeftAdapter.parseConfig(pattern, "adapter_config.json"))
                .hasMessage("adapter_config.json: rank_pattern is {\"q_proj\":2} (per-module ranks and α are not"
                        + " supported)");
    }
}
