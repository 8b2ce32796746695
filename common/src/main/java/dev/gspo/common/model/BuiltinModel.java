package dev.gspo.common.model;

import ai.djl.ndarray.NDManager;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The built-in default policy ("tiny"): created by the project itself with a seed, so that everything runs with no
 * download. INTERIM: the tokenizer is a placeholder until the built-in vocabulary lands.
 */
public final class BuiltinModel {
    private BuiltinModel() {
    }

    public static ModelConfig config(int vocabSize) {
        return new ModelConfig("llama", vocabSize, 64, 192, 2, 4, 2, 16, 10000.0, 1e-6, 64, true, false, 1,
                List.of(2));
    }

    /** Writes the model's three files into {@code dir} and loads it from there. */
    public static PolicyModel create(Path dir, long seed, NDManager manager) {
        try {
            Files.createDirectories(dir);
            try (InputStream in = BuiltinModel.class.getResourceAsStream("interim-tokenizer.json")) {
                Files.copy(in, dir.resolve(PolicyModel.TOKENIZER_FILE), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (PolicyModel fresh = PolicyModel.create(config(16), dir.resolve(PolicyModel.TOKENIZER_FILE), seed, manager)) {
            fresh.save(dir);
        }
        return PolicyModel.load(dir, manager);
    }
}
