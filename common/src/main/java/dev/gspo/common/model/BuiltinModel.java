package dev.gspo.common.model;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.tokenizer.BuiltinVocabulary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The built-in default policy ("tiny"): a llama-shaped model over the project's character vocabulary, created with a
 * seed, so that everything runs with no download. About 0.2M parameters: d = 96, 3 layers, 4 query heads sharing 2
 * key/value heads, SwiGLU width 256, tied embeddings, 64 positions (enough for the built-in tasks' prompts and
 * answers). Random weights know nothing: the main job's supervised warm start makes it a usable base policy.
 */
public final class BuiltinModel {
    private BuiltinModel() {
    }

    public static ModelConfig config() {
        return new ModelConfig("llama", BuiltinVocabulary.size(), 96, 256, 3, 4, 2, 24, 10000.0, 1e-6, 64, true,
                false, BuiltinVocabulary.BOS_ID, List.of(BuiltinVocabulary.EOS_ID));
    }

    /** Writes the model's three files into {@code dir} and loads it from there. */
    public static PolicyModel create(Path dir, long seed, NDManager manager) {
        try {
            BuiltinVocabulary.writeTo(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the built-in tokenizer to " + dir, e);
        }
        try (PolicyModel fresh = PolicyModel.create(config(), dir.resolve(PolicyModel.TOKENIZER_FILE), seed, manager)) {
            fresh.save(dir);
            fresh.tokenizer().close();
        }
        return PolicyModel.load(dir, manager);
    }
}
