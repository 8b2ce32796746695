package dev.gspo.common.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The registry of supported {@code model_type}s and the tensors each one has, named as Hugging Face names them.
 *
 * <p>llama and qwen2 share the same block (RMSNorm, rotary attention with grouped-query heads, SwiGLU MLP); qwen2
 * always has q/k/v biases, llama only when {@code attention_bias} is set.
 */
public enum ModelArchitecture {
    LLAMA("llama", "LlamaForCausalLM"),
    QWEN2("qwen2", "Qwen2ForCausalLM");

    private final String modelType;
    private final String hfArchitecture;

    ModelArchitecture(String modelType, String hfArchitecture) {
        this.modelType = modelType;
        this.hfArchitecture = hfArchitecture;
    }

    public String modelType() {
        return modelType;
    }

    public String hfArchitecture() {
        return hfArchitecture;
    }

    public static ModelArchitecture forType(String modelType) {
        for (ModelArchitecture a : values()) {
            if (a.modelType.equals(modelType)) {
                return a;
            }
        }
        throw new InvalidModelException("unknown model_type '" + modelType + "'; supported: "
                + Arrays.stream(values()).map(ModelArchitecture::modelType).toList());
    }

    /** Every tensor the model's {@code model.safetensors} must hold, in a stable order. */
    public List<TensorSpec> tensors(ModelConfig c) {
        long d = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        long ff = c.intermediateSize();
        List<TensorSpec> specs = new ArrayList<>();
        specs.add(new TensorSpec("model.embed_tokens.weight", new long[] {c.vocabSize(), d}));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            specs.add(new TensorSpec(p + "input_layernorm.weight", new long[] {d}));
            specs.add(new TensorSpec(p + "self_attn.q_proj.weight", new long[] {q, d}));
            specs.add(new TensorSpec(p + "self_attn.k_proj.weight", new long[] {kv, d}));
            specs.add(new TensorSpec(p + "self_attn.v_proj.weight", new long[] {kv, d}));
            if (c.attentionBias()) {
                specs.add(new TensorSpec(p + "self_attn.q_proj.bias", new long[] {q}));
                specs.add(new TensorSpec(p + "self_attn.k_proj.bias", new long[] {kv}));
                specs.add(new TensorSpec(p + "self_attn.v_proj.bias", new long[] {kv}));
            }
            specs.add(new TensorSpec(p + "self_attn.o_proj.weight", new long[] {d, q}));
            specs.add(new TensorSpec(p + "post_attention_layernorm.weight", new long[] {d}));
            specs.add(new TensorSpec(p + "mlp.gate_proj.weight", new long[] {ff, d}));
            specs.add(new TensorSpec(p + "mlp.up_proj.weight", new long[] {ff, d}));
            specs.add(new TensorSpec(p + "mlp.down_proj.weight", new long[] {d, ff}));
        }
        specs.add(new TensorSpec("model.norm.weight", new long[] {d}));
        if (!c.tieWordEmbeddings()) {
            specs.add(new TensorSpec("lm_head.weight", new long[] {c.vocabSize(), d}));
        }
        return specs;
    }
}
