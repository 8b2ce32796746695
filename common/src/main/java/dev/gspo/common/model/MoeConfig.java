package dev.gspo.common.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The sparse-MLP settings of a {@code qwen3_moe} model, as HF's {@code Qwen3MoeConfig} names them; a key missing from
 * config.json takes HF's default (128 experts, 8 per token, width 768, no renormalisation, every layer sparse).
 *
 * <p>Which layers are sparse is HF's rule ({@code Qwen3MoeDecoderLayer}):
 * <pre>
 *   sparse(i) = i ∉ mlp_only_layers  ∧  num_experts &gt; 0  ∧  (i + 1) mod decoder_sparse_step = 0
 * </pre>
 * the other layers keep the dense SwiGLU MLP of width {@code intermediate_size}.
 *
 * @param numExperts          E, the experts of a sparse layer ({@code num_experts})
 * @param numExpertsPerTok    k, the experts each token is routed to ({@code num_experts_per_tok})
 * @param moeIntermediateSize the SwiGLU width of one expert ({@code moe_intermediate_size})
 * @param normTopkProb        whether the k routing weights are renormalised to sum to 1 ({@code norm_topk_prob})
 * @param decoderSparseStep   every this many layers is sparse ({@code decoder_sparse_step})
 * @param mlpOnlyLayers       layers kept dense whatever the step ({@code mlp_only_layers})
 */
public record MoeConfig(
        int numExperts,
        int numExpertsPerTok,
        int moeIntermediateSize,
        boolean normTopkProb,
        int decoderSparseStep,
        List<Integer> mlpOnlyLayers) {

    public MoeConfig {
        mlpOnlyLayers = List.copyOf(mlpOnlyLayers);
        if (numExperts < 1 || numExpertsPerTok < 1 || numExpertsPerTok > numExperts) {
            throw new InvalidModelException(
                    "num_experts_per_tok must be in [1, num_experts]; got " + numExpertsPerTok + " of " + numExperts);
        }
        if (moeIntermediateSize < 1 || decoderSparseStep < 1) {
            throw new InvalidModelException("moe_intermediate_size and decoder_sparse_step must be positive, got "
                    + moeIntermediateSize + " and " + decoderSparseStep);
        }
    }

    /** HF's rule, see the class comment. */
    public boolean isSparse(int layer) {
        return !mlpOnlyLayers.contains(layer) && (layer + 1) % decoderSparseStep == 0;
    }

    static MoeConfig fromJson(JsonNode n, String source) {
        List<Integer> dense = new ArrayList<>();
        JsonNode only = n.get("mlp_only_layers");
        if (only != null && only.isArray()) {
            only.forEach(x -> dense.add(x.asInt()));
        } else if (only != null && !only.isNull()) {
            throw new InvalidModelException(source + ": mlp_only_layers must be a list, got " + only);
        }
        return new MoeConfig(
                n.path("num_experts").asInt(128),
                n.path("num_experts_per_tok").asInt(8),
                n.path("moe_intermediate_size").asInt(768),
                n.path("norm_topk_prob").asBoolean(false),
                n.path("decoder_sparse_step").asInt(1),
                dense);
    }

    void write(ObjectNode n) {
        n.put("num_experts", numExperts);
        n.put("num_experts_per_tok", numExpertsPerTok);
        n.put("moe_intermediate_size", moeIntermediateSize);
        n.put("norm_topk_prob", normTopkProb);
        n.put("decoder_sparse_step", decoderSparseStep);
        ArrayNode a = n.putArray("mlp_only_layers");
        mlpOnlyLayers.forEach(a::add);
        n.put("output_router_logits", false);
        n.put("router_aux_loss_coef", 0.0);
    }
}
