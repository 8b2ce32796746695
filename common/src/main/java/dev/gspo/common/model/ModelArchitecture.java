package dev.gspo.common.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The registry of supported {@code model_type}s and the tensors each one has, named as Hugging Face names them.
 *
 * <p>All share one block (RMSNorm, rotary attention with grouped-query heads, SwiGLU MLP); qwen2 always has q/k/v
 * biases, the others only when {@code attention_bias} is set. qwen3 adds a per-head RMSNorm on queries and keys
 * ({@code self_attn.q_norm}, {@code self_attn.k_norm}, weight [head_dim], before RoPE) and an explicit
 * {@code head_dim}; qwen3_moe is qwen3 with sparse MoE MLPs ({@link MoeConfig}): a router
 * {@code mlp.gate.weight} [E, d] and experts {@code mlp.experts.{e}.{gate,up,down}_proj.weight}.
 */
public enum ModelArchitecture {
    LLAMA("llama", "LlamaForCausalLM", false, false),
    QWEN2("qwen2", "Qwen2ForCausalLM", false, false),
    QWEN3("qwen3", "Qwen3ForCausalLM", true, false),
    QWEN3_MOE("qwen3_moe", "Qwen3MoeForCausalLM", true, true);

    private final String modelType;
    private final String hfArchitecture;
    private final boolean qkNorm;
    private final boolean sparse;

    ModelArchitecture(String modelType, String hfArchitecture, boolean qkNorm, boolean sparse) {
        this.modelType = modelType;
        this.hfArchitecture = hfArchitecture;
        this.qkNorm = qkNorm;
        this.sparse = sparse;
    }

    /** Whether queries and keys go through a per-head RMSNorm before RoPE (qwen3, qwen3_moe). */
    public boolean qkNorm() {
        return qkNorm;
    }

    /** Whether the model has MoE layers (and so a {@link MoeConfig}). */
    public boolean sparse() {
        return sparse;
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
            if (qkNorm) {
                specs.add(new TensorSpec(p + "self_attn.q_norm.weight", new long[] {c.headDim()}));
                specs.add(new TensorSpec(p + "self_attn.k_norm.weight", new long[] {c.headDim()}));
            }
            specs.add(new TensorSpec(p + "self_attn.o_proj.weight", new long[] {d, q}));
            specs.add(new TensorSpec(p + "post_attention_layernorm.weight", new long[] {d}));
            if (c.isSparseLayer(i)) {
                MoeConfig moe = c.moe();
                long mi = moe.moeIntermediateSize();
                specs.add(new TensorSpec(p + "mlp.gate.weight", new long[] {moe.numExperts(), d}));
                for (int e = 0; e < moe.numExperts(); e++) {
                    String x = p + "mlp.experts." + e + ".";
                    specs.add(new TensorSpec(x + "gate_proj.weight", new long[] {mi, d}));
                    specs.add(new TensorSpec(x + "up_proj.weight", new long[] {mi, d}));
                    specs.add(new TensorSpec(x + "down_proj.weight", new long[] {d, mi}));
                }
            } else {
                specs.add(new TensorSpec(p + "mlp.gate_proj.weight", new long[] {ff, d}));
                specs.add(new TensorSpec(p + "mlp.up_proj.weight", new long[] {ff, d}));
                specs.add(new TensorSpec(p + "mlp.down_proj.weight", new long[] {d, ff}));
            }
        }
        specs.add(new TensorSpec("model.norm.weight", new long[] {d}));
        if (!c.tieWordEmbeddings()) {
            specs.add(new TensorSpec("lm_head.weight", new long[] {c.vocabSize(), d}));
        }
        return specs;
    }
}
