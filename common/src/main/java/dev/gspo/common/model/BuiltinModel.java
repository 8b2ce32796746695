package dev.gspo.common.model;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.tokenizer.BuiltinVocabulary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The built-in default policy ("tiny"): a llama-shaped model over the project's character vocabulary, created with a
 * seed, so that everything runs with no download. 309,600 parameters (~0.31M): d = 96, 3 layers, 4 query heads
 * sharing 2 key/value heads, SwiGLU width 256, tied embeddings, 64 positions (enough for the built-in tasks' prompts
 * and answers), over the 50-token character vocabulary. Random weights know nothing: the main job's supervised warm
 * start makes it a usable base policy.
 *
 * <p>The built-in MoE policy ("moe", {@link #moeConfig()}) is the same shape as a {@code qwen3_moe}: q/k norms and,
 * in every layer, 8 experts of width 64 with top-2 routing renormalised as Qwen3-30B-A3B does
 * ({@code norm_topk_prob}); two active experts give a token 128 SwiGLU units (half of tiny's 256) out of 512.
 * 533,232 parameters (~0.53M). Both counts: docs/ARCHITECTURE.md §4.
 */
public final class BuiltinModel {
    private BuiltinModel() {}

    public static ModelConfig config() {
        return new ModelConfig(
                "llama",
                BuiltinVocabulary.size(),
                96,
                256,
                3,
                4,
                2,
                24,
                10000.0,
                1e-6,
                64,
                true,
                false,
                BuiltinVocabulary.BOS_ID,
                List.of(BuiltinVocabulary.EOS_ID));
    }

    /** The built-in small MoE model: tiny's attention (with qwen3's q/k norms) and a sparse MLP in every layer. */
    public static ModelConfig moeConfig() {
        return new ModelConfig(
                "qwen3_moe",
                BuiltinVocabulary.size(),
                96,
                256,
                3,
                4,
                2,
                24,
                10000.0,
                1e-6,
                64,
                true,
                false,
                BuiltinVocabulary.BOS_ID,
                List.of(BuiltinVocabulary.EOS_ID),
                new MoeConfig(8, 2, 64, true, 1, List.of()));
    }

    /** The config of a built-in model by name: {@code builtin} or {@code tiny} (dense), {@code moe}. */
    public static ModelConfig config(String name) {
        return switch (name) {
            case "builtin", "tiny" -> config();
            case "moe" -> moeConfig();
            default -> throw new InvalidModelException("no built-in model '" + name + "'; one of builtin, tiny, moe");
        };
    }

    /** Writes the dense built-in model's three files into {@code dir} and loads it from there. */
    public static PolicyModel create(Path dir, long seed, NDManager manager) {
        return create("builtin", dir, seed, manager);
    }

    /** Writes the built-in model {@code name} ({@link #config(String)}) into {@code dir} and loads it from there. */
    public static PolicyModel create(String name, Path dir, long seed, NDManager manager) {
        return create(config(name), dir, seed, manager);
    }

    /**
     * Writes a model of {@code config} over the built-in character vocabulary, its weights drawn with {@code seed},
     * into {@code dir} and loads it from there (the bench's variants of the built-in shapes).
     */
    public static PolicyModel create(ModelConfig config, Path dir, long seed, NDManager manager) {
        try {
            BuiltinVocabulary.writeTo(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the built-in tokenizer to " + dir, e);
        }
        try (PolicyModel fresh = PolicyModel.create(config, dir.resolve(PolicyModel.TOKENIZER_FILE), seed, manager)) {
            fresh.save(dir);
            fresh.tokenizer().close();
        }
        return PolicyModel.load(dir, manager);
    }
}
