package dev.gspo.common.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.model.InvalidModelException;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training checkpoint on disk (docs/ARCHITECTURE.md §8): a directory holding the HF model files (with every tokenizer
 * file the model has, e.g. {@code tokenizer_config.json}), {@code optimizer.safetensors} (AdamW moments) and
 * {@code trainer_state.json} (step, version, config, seed, and the SHA-256 of every other file).
 *
 * <p>Written into a hidden temporary sibling directory and renamed into place, so a crash or a full disk never leaves
 * a directory that looks like a whole checkpoint; {@link #read} verifies every checksum before anything is loaded.
 */
public final class Checkpoint {
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String STATE_FILE = "trainer_state.json";
    private static final List<String> CHECKED_FILES =
            List.of(PolicyModel.CONFIG_FILE, PolicyModel.WEIGHTS_FILE, PolicyModel.TOKENIZER_FILE, OPTIMIZER_FILE);
    private static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoint() {}

    /** Writes a checkpoint to {@code target} atomically (replacing an older one with the same name). */
    public static void write(Path target, PolicyModel model, AdamW optimizer, TrainerState state) {
        Path parent = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".partial-");
            model.save(tmp);
            try (OutputStream out = Files.newOutputStream(tmp.resolve(OPTIMIZER_FILE))) {
                Safetensors.write(out, optimizer.stateTensors(), optimizer.stateMetadata());
            }
            Map<String, String> sums = new LinkedHashMap<>();
            for (String f : CHECKED_FILES) {
                sums.put(f, sha256(tmp.resolve(f)));
            }
            for (String f : PolicyModel.TOKENIZER_FILES) { // the optional ones the model has (tokenizer_config.json, …)
                if (!sums.containsKey(f) && Files.isRegularFile(tmp.resolve(f))) {
                    sums.put(f, sha256(tmp.resolve(f)));
                }
            }
            JSON.writerWithDefaultPrettyPrinter()
                    .writeValue(tmp.resolve(STATE_FILE).toFile(), state.withFiles(sums));
            if (Files.exists(target)) {
                Path old = Files.createTempDirectory(parent, "." + target.getFileName() + ".old-");
                Files.move(target, old.resolve("c"), StandardCopyOption.ATOMIC_MOVE);
                moveAtomically(tmp, target);
                deleteTree(old);
            } else {
                moveAtomically(tmp, target);
            }
        } catch (IOException e) {
            if (tmp != null) {
                deleteTree(tmp);
            }
            throw new UncheckedIOException("cannot write checkpoint " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (tmp != null) {
                deleteTree(tmp);
            }
            throw e;
        }
    }

    /** Reads and verifies the state of a checkpoint; the caller then loads the model and the optimizer from it. */
    public static TrainerState read(Path dir) {
        Path stateFile = dir.resolve(STATE_FILE);
        if (!Files.isRegularFile(stateFile)) {
            throw new InvalidModelException(
                    "checkpoint " + dir + " has no " + STATE_FILE + " (not a checkpoint, or incomplete)");
        }
        TrainerState state;
        try {
            state = JSON.readValue(stateFile.toFile(), TrainerState.class);
        } catch (IOException e) {
            // the class, not the message: a parser's message quotes the file's text
            throw new InvalidModelException(
                    "checkpoint " + dir + ": " + STATE_FILE + " is unreadable ("
                            + e.getClass().getSimpleName() + ")",
                    e);
        }
        for (String f : state.files().keySet()) {
            if (!CHECKED_FILES.contains(f) && !PolicyModel.TOKENIZER_FILES.contains(f)) {
                throw new InvalidModelException(
                        "checkpoint " + dir + ": " + STATE_FILE + " names an unknown file " + f);
            }
        }
        java.util.Set<String> files = new java.util.LinkedHashSet<>(CHECKED_FILES);
        files.addAll(state.files().keySet()); // and the optional tokenizer files recorded at write time
        for (String f : files) {
            String want = state.files().get(f);
            Path file = dir.resolve(f);
            if (want == null || !Files.isRegularFile(file)) {
                throw new InvalidModelException("checkpoint " + dir + " lacks " + f + " or its checksum");
            }
            String got = sha256(file);
            if (!got.equals(want)) {
                throw new InvalidModelException(
                        "checkpoint " + dir + ": " + f + " is corrupted (sha256 " + got + ", recorded " + want + ")");
            }
        }
        return state;
    }

    public static Map<String, Safetensors.Tensor> optimizerState(Path dir) {
        return Safetensors.read(dir.resolve(OPTIMIZER_FILE));
    }

    static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of()
                    .formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static void deleteTree(Path dir) {
        try {
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                    for (Path p : entries) {
                        deleteTree(p);
                    }
                }
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // best effort: a leftover hidden temp directory is never mistaken for a checkpoint
        }
    }
}
