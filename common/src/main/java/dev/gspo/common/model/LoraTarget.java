package dev.gspo.common.model;

import java.util.Arrays;
import java.util.List;

/**
 * A linear layer of a decoder block that a LoRA adapter can wrap, named as PEFT's {@code target_modules} name it (the
 * last component of the Hugging Face module path). {@code in} and {@code out} are the layer's input and output widths:
 * its weight is {@code [out, in]}, so an adapter's A is {@code [r, in]} and B {@code [out, r]}.
 */
public enum LoraTarget {
    Q("q_proj", "self_attn."),
    K("k_proj", "self_attn."),
    V("v_proj", "self_attn."),
    O("o_proj", "self_attn."),
    GATE("gate_proj", "mlp."),
    UP("up_proj", "mlp."),
    DOWN("down_proj", "mlp.");

    private final String moduleName;
    private final String parent;

    LoraTarget(String moduleName, String parent) {
        this.moduleName = moduleName;
        this.parent = parent;
    }

    /** PEFT's name: {@code q_proj}, …, {@code down_proj}. */
    public String moduleName() {
        return moduleName;
    }

    /** Whether the layer belongs to the MLP (not adapted in the sparse layers of a MoE model, whose experts run unadapted). */
    public boolean mlp() {
        return parent.equals("mlp.");
    }

    /** The Hugging Face module path of this layer in block {@code layer}, e.g. {@code model.layers.0.self_attn.q_proj}. */
    public String modulePath(int layer) {
        return "model.layers." + layer + "." + parent + moduleName;
    }

    /** Input width of the layer in a model of this config. */
    public long in(ModelConfig c) {
        return switch (this) {
            case O -> (long) c.numAttentionHeads() * c.headDim();
            case DOWN -> c.intermediateSize();
            default -> c.hiddenSize();
        };
    }

    /** Output width of the layer in a model of this config. */
    public long out(ModelConfig c) {
        return switch (this) {
            case Q -> (long) c.numAttentionHeads() * c.headDim();
            case K, V -> (long) c.numKeyValueHeads() * c.headDim();
            case GATE, UP -> c.intermediateSize();
            default -> c.hiddenSize();
        };
    }

    /** Every module name, in the block's order: {@code [q_proj, k_proj, …, down_proj]}. */
    public static List<String> moduleNames() {
        return Arrays.stream(values()).map(LoraTarget::moduleName).toList();
    }

    /** The target PEFT calls {@code name}; the error lists the names there are. */
    public static LoraTarget ofModuleName(String name) {
        for (LoraTarget t : values()) {
            if (t.moduleName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown LoRA target '" + name + "'; known: " + moduleNames());
    }
}
