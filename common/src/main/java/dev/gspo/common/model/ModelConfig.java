package dev.gspo.common.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.common.json.JsonPosition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The hyper-parameters of a decoder-only transformer, as Hugging Face writes them in {@code config.json}.
 *
 * <p>Only the keys that change the math are kept; unknown keys are ignored when reading, as HF does. Keys that would
 * change the math in a way this implementation does not support ({@code rope_scaling}, a {@code hidden_act} other
 * than {@code silu}) are refused with an error that names them, rather than silently computing something else.
 *
 * @param modelType             HF {@code model_type}: {@code llama}, {@code qwen2}, {@code qwen3} or {@code qwen3_moe}
 *                              (see {@link ModelArchitecture})
 * @param headDim               per-head width; when config.json has no {@code head_dim}: HF's default of the type
 *                              (qwen3: 128, as {@code Qwen3Config}; the others: {@code hidden_size / num_attention_heads})
 * @param attentionBias         whether q/k/v projections carry a bias (always true for qwen2; {@code attention_bias},
 *                              default false, for the others)
 * @param eosTokenIds           every id that ends a sequence ({@code eos_token_id} may be a number or a list in HF)
 * @param moe                   the sparse-MLP settings of a {@code qwen3_moe} model; null for every other type
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double ropeTheta,
        double rmsNormEps,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        MoeConfig moe) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        ModelArchitecture.forType(modelType); // fails fast, naming the type
        requirePositive("vocab_size", vocabSize);
        requirePositive("hidden_size", hiddenSize);
        requirePositive("intermediate_size", intermediateSize);
        requirePositive("num_hidden_layers", numHiddenLayers);
        requirePositive("num_attention_heads", numAttentionHeads);
        requirePositive("num_key_value_heads", numKeyValueHeads);
        requirePositive("head_dim", headDim);
        requirePositive("max_position_embeddings", maxPositionEmbeddings);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new InvalidModelException("num_attention_heads (" + numAttentionHeads
                    + ") must be a multiple of num_key_value_heads (" + numKeyValueHeads + ")");
        }
        if (headDim % 2 != 0) {
            throw new InvalidModelException("head_dim must be even for rotary embeddings, got " + headDim);
        }
        if (!(ropeTheta > 0) || !(rmsNormEps > 0)) {
            throw new InvalidModelException(
                    "rope_theta and rms_norm_eps must be positive, got " + ropeTheta + " and " + rmsNormEps);
        }
        if (ModelArchitecture.forType(modelType).sparse() != (moe != null)) {
            throw new InvalidModelException("model_type " + modelType
                    + (moe == null
                            ? " needs its MoE settings (num_experts, num_experts_per_tok, moe_intermediate_size, …)"
                            : " has no MoE settings, got " + moe));
        }
        if (modelType.equals("qwen2") && !attentionBias) {
            throw new InvalidModelException("qwen2 always has q/k/v biases (attention_bias must be true)");
        }
        for (int id : eosTokenIds) {
            if (id < 0 || id >= vocabSize) {
                throw new InvalidModelException(
                        "eos_token_id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
            }
        }
    }

    /** A dense model's config (no MoE settings). */
    public ModelConfig(
            String modelType,
            int vocabSize,
            int hiddenSize,
            int intermediateSize,
            int numHiddenLayers,
            int numAttentionHeads,
            int numKeyValueHeads,
            int headDim,
            double ropeTheta,
            double rmsNormEps,
            int maxPositionEmbeddings,
            boolean tieWordEmbeddings,
            boolean attentionBias,
            Integer bosTokenId,
            List<Integer> eosTokenIds) {
        this(
                modelType,
                vocabSize,
                hiddenSize,
                intermediateSize,
                numHiddenLayers,
                numAttentionHeads,
                numKeyValueHeads,
                headDim,
                ropeTheta,
                rmsNormEps,
                maxPositionEmbeddings,
                tieWordEmbeddings,
                attentionBias,
                bosTokenId,
                eosTokenIds,
                null);
    }

    /** Whether layer {@code layer}'s MLP is the sparse MoE block (qwen3_moe, see {@link MoeConfig#isSparse}). */
    public boolean isSparseLayer(int layer) {
        return moe != null && moe.isSparse(layer);
    }

    /** A llama-shaped config with the usual defaults (head_dim = hidden/heads, theta 10000, eps 1e-6). */
    public static ModelConfig llama(
            int vocabSize,
            int hiddenSize,
            int intermediateSize,
            int layers,
            int heads,
            int kvHeads,
            int maxPositions,
            boolean tied,
            Integer bos,
            List<Integer> eos) {
        return new ModelConfig(
                "llama",
                vocabSize,
                hiddenSize,
                intermediateSize,
                layers,
                heads,
                kvHeads,
                hiddenSize / heads,
                10000.0,
                1e-6,
                maxPositions,
                tied,
                false,
                bos,
                eos);
    }

    /** The same model with room for {@code n} positions (rotary embeddings: nothing learned depends on it). */
    public ModelConfig withMaxPositionEmbeddings(int n) {
        return with(n, eosTokenIds);
    }

    /** The same model with these end-of-sequence ids; none: every sequence decodes its full {@code maxNewTokens}. */
    public ModelConfig withEosTokenIds(List<Integer> ids) {
        return with(maxPositionEmbeddings, ids);
    }

    private ModelConfig with(int maxPositions, List<Integer> eos) {
        return new ModelConfig(
                modelType,
                vocabSize,
                hiddenSize,
                intermediateSize,
                numHiddenLayers,
                numAttentionHeads,
                numKeyValueHeads,
                headDim,
                ropeTheta,
                rmsNormEps,
                maxPositions,
                tieWordEmbeddings,
                attentionBias,
                bosTokenId,
                eos,
                moe);
    }

    public int kvGroupSize() {
        return numAttentionHeads / numKeyValueHeads;
    }

    public ModelArchitecture architecture() {
        return ModelArchitecture.forType(modelType);
    }

    /** Reads {@code config.json} in the Hugging Face format. */
    public static ModelConfig read(Path configJson) {
        JsonNode n;
        try {
            n = JSON.readTree(configJson.toFile());
        } catch (JsonProcessingException e) {
            throw new InvalidModelException(configJson + " is not valid JSON" + JsonPosition.of(e), e);
        } catch (IOException e) {
            throw new InvalidModelException(
                    "cannot read " + configJson + " (" + e.getClass().getSimpleName() + ")", e);
        }
        return fromJson(n, configJson.toString());
    }

    /** Reads a {@code config.json} already parsed; {@code source} names it in errors. */
    public static ModelConfig fromJson(JsonNode n, String source) {
        String type = text(n, "model_type", source);
        JsonNode scaling = n.get("rope_scaling");
        if (scaling != null && !scaling.isNull()) {
            throw new InvalidModelException(source + ": rope_scaling is not supported (only null or absent)");
        }
        String act = n.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new InvalidModelException(source + ": hidden_act '" + act + "' is not supported (only silu)");
        }
        int hidden = integer(n, "hidden_size", source);
        int heads = integer(n, "num_attention_heads", source);
        int kvHeads = n.hasNonNull("num_key_value_heads")
                ? n.get("num_key_value_heads").asInt()
                : heads;
        // HF's Qwen3Config defaults head_dim to 128; the others (Qwen3MoeAttention too) fall back to hidden / heads
        int headDim =
                n.hasNonNull("head_dim") ? n.get("head_dim").asInt() : type.equals("qwen3") ? 128 : hidden / heads;
        boolean bias = type.equals("qwen2") || n.path("attention_bias").asBoolean(false);
        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = n.get("eos_token_id");
        if (eosNode != null && eosNode.isArray()) {
            eosNode.forEach(e -> eos.add(e.asInt()));
        } else if (eosNode != null && eosNode.isNumber()) {
            eos.add(eosNode.asInt());
        }
        Integer bos = n.hasNonNull("bos_token_id") ? n.get("bos_token_id").asInt() : null;
        return new ModelConfig(
                type,
                integer(n, "vocab_size", source),
                hidden,
                integer(n, "intermediate_size", source),
                integer(n, "num_hidden_layers", source),
                heads,
                kvHeads,
                headDim,
                n.path("rope_theta").asDouble(10000.0),
                n.path("rms_norm_eps").asDouble(1e-6),
                integer(n, "max_position_embeddings", source),
                n.path("tie_word_embeddings").asBoolean(false),
                bias,
                bos,
                eos,
                type.equals("qwen3_moe") ? MoeConfig.fromJson(n, source) : null);
    }

    /** Writes {@code config.json} as Hugging Face's {@code *ForCausalLM} class of the type expects it. */
    public void write(Path configJson) {
        try {
            Files.writeString(configJson, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code config.json} object as {@link #write} writes it. */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(architecture().hfArchitecture());
        n.put("model_type", modelType);
        n.put("vocab_size", vocabSize);
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numHiddenLayers);
        n.put("num_attention_heads", numAttentionHeads);
        n.put("num_key_value_heads", numKeyValueHeads);
        n.put("head_dim", headDim);
        n.put("rope_theta", ropeTheta);
        n.put("rms_norm_eps", rmsNormEps);
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("tie_word_embeddings", tieWordEmbeddings);
        if (!modelType.equals("qwen2")) {
            n.put("attention_bias", attentionBias);
        }
        if (moe != null) {
            moe.write(n);
        }
        n.put("hidden_act", "silu");
        n.put("torch_dtype", "float32");
        if (bosTokenId != null) {
            n.put("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.size() == 1) {
            n.put("eos_token_id", eosTokenIds.getFirst());
        } else {
            ArrayNode a = n.putArray("eos_token_id");
            eosTokenIds.forEach(a::add);
        }
        return n;
    }

    private static String text(JsonNode n, String key, String source) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) {
            throw new InvalidModelException(source + ": missing \"" + key + "\"");
        }
        return v.asText();
    }

    private static int integer(JsonNode n, String key, String source) {
        JsonNode v = n.get(key);
        if (v == null || !v.canConvertToInt()) {
            throw new InvalidModelException(source + ": missing or non-integer \"" + key + "\"");
        }
        return v.asInt();
    }

    private static void requirePositive(String key, int value) {
        if (value <= 0) {
            throw new InvalidModelException(key + " must be positive, got " + value);
        }
    }
}
