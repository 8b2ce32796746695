package dev.gspo.bench;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.tokenizer.BuiltinVocabulary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The models the bench runs, written as HF directories so that in-process replicas can serve the same weights.
 *
 * <p>Both have no end-of-sequence id in config.json, so every row decodes exactly the requested length. Both use the
 * built-in character tokenizer; the 25M model's vocab_size is larger than the tokenizer (allowed, as in HF
 * checkpoints): the LM head still computes all 8192 logits, sampling only picks among the tokenizer's ids.
 */
final class BenchModels {
    private BenchModels() {}

    /** The built-in "tiny" model's shape (d 96, 3 layers, 4/2 heads, ff 256, tied) with room for 512 new tokens. */
    static ModelConfig tiny(int maxPositions) {
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
                maxPositions,
                true,
                false,
                BuiltinVocabulary.BOS_ID,
                List.of());
    }

    /** A llama-shaped ~25M-parameter model: d 512, 6 layers, 8 heads, ff 1536, vocab 8192, tied embeddings. */
    static ModelConfig llama25m(int maxPositions) {
        return new ModelConfig(
                "llama",
                8192,
                512,
                1536,
                6,
                8,
                8,
                64,
                10000.0,
                1e-6,
                maxPositions,
                true,
                false,
                BuiltinVocabulary.BOS_ID,
                List.of());
    }

    /** Creates the model with seeded weights, saves it into {@code dir} and returns it loaded from there. */
    static PolicyModel create(ModelConfig config, Path dir, long seed, NDManager manager) {
        try {
            BuiltinVocabulary.writeTo(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (PolicyModel fresh = PolicyModel.create(config, dir.resolve(PolicyModel.TOKENIZER_FILE), seed, manager)) {
            fresh.save(dir);
            fresh.tokenizer().close();
        }
        return PolicyModel.load(dir, manager);
    }
}
