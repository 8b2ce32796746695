package dev.gspo.common.train;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.hash.Sha256;
import dev.gspo.common.lora.PeftAdapter;
import dev.gspo.common.model.InvalidModelException;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.ModelConfig;
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
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training checkpoint on disk (docs/ARCHITECTURE.md §8): a directory holding the HF model files (with every tokenizer
 * file the model has, e.g. {@code tokenizer_config.json}), {@code optimizer.safetensors} (AdamW moments) and
 * {@code trainer_state.json} (step, version, config, seed, and the SHA-256 of every other file).
 *
 * <p><b>A LoRA model's checkpoint</b> ({@code state.loraBase()} set) holds the adapters instead of
 * {@code model.safetensors}: {@code adapter_config.json} + {@code adapter_model.safetensors} in PEFT's layout
 * ({@link PeftAdapter}), {@code optimizer.safetensors} with the adapters' moments only, and {@code trainer_state.json}
 * naming the base model's directory and the SHA-256 of its weights; {@code config.json} and the tokenizer files stay.
 *
 * <p>Written into a hidden temporary sibling directory and renamed into place, so a crash or a full disk never leaves
 * a directory that looks like a whole checkpoint; {@link #read} verifies every checksum before anything is loaded.
 */
public final class Checkpoint {
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String STATE_FILE = "trainer_state.json";
    private static final List<String> CHECKED_FILES =
            List.of(PolicyModel.CONFIG_FILE, PolicyModel.WEIGHTS_FILE, PolicyModel.TOKENIZER_FILE, OPTIMIZER_FILE);
    private static final List<String> LORA_CHECKED_FILES = List.of(
            PolicyModel.CONFIG_FILE,
            PeftAdapter.CONFIG_FILE,
            PeftAdapter.WEIGHTS_FILE,
            PolicyModel.TOKENIZER_FILE,
            OPTIMIZER_FILE);
    private static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoint() {}

    /**
     * Writes a checkpoint to {@code target} atomically (replacing an older one with the same name); for a LoRA model
     * {@code state} must name its base ({@link TrainerState#loraBase()}).
     */
    public static void write(Path target, PolicyModel model, AdamW optimizer, TrainerState state) {
        boolean lora = model.lora().isPresent();
        if (lora != (state.loraBase() != null)) {
            throw new IllegalArgumentException(
                    lora
                            ? "a LoRA model's checkpoint needs the base model in its state"
                            : "a full model's checkpoint cannot name a LoRA base");
        }
        List<String> checked = lora ? LORA_CHECKED_FILES : CHECKED_FILES;
        Path parent = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".partial-");
            if (lora) {
                model.saveWithoutWeights(tmp);
                PeftAdapter.write(
                        tmp, model.lora().orElseThrow(), state.loraBase().dir());
            } else {
                model.save(tmp);
            }
            try (OutputStream out = Files.newOutputStream(tmp.resolve(OPTIMIZER_FILE))) {
                Safetensors.write(out, optimizer.stateTensors(), optimizer.stateMetadata());
            }
            Map<String, String> sums = new LinkedHashMap<>();
            for (String f : checked) {
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
        List<String> checked = state.loraBase() != null ? LORA_CHECKED_FILES : CHECKED_FILES;
        for (String f : state.files().keySet()) {
            if (!checked.contains(f) && !PolicyModel.TOKENIZER_FILES.contains(f)) {
                throw new InvalidModelException(
                        "checkpoint " + dir + ": " + STATE_FILE + " names an unknown file " + f);
            }
        }
        java.util.Set<String> files = new java.util.LinkedHashSet<>(checked);
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

    /**
     * The base model a LoRA checkpoint adapts, loaded from the directory its state names and checked against the
     * SHA-256 recorded at write time: adapters trained on one base are meaningless on another, so a different base is
     * refused, naming both checksums. The caller owns the returned model (and its tokenizer).
     */
    public static PolicyModel loraBase(TrainerState state, NDManager manager) {
        TrainerState.LoraBase base = state.loraBase();
        if (base == null) {
            throw new IllegalArgumentException("not a LoRA checkpoint");
        }
        Path dir = Path.of(base.dir());
        if (!Files.isDirectory(dir)) {
            throw new InvalidModelException("the LoRA checkpoint's base model " + dir + " is missing");
        }
        PolicyModel model = PolicyModel.load(dir, manager);
        String sha = PolicyModel.sha256(model.weightsAsSafetensors());
        if (!sha.equals(base.sha256())) {
            model.close();
            model.tokenizer().close();
            throw new InvalidModelException("the checkpoint's adapters were trained on base weights with sha256 "
                    + base.sha256() + ", but " + dir + " holds weights with sha256 " + sha
                    + ": a different base model; refusing to resume");
        }
        return model;
    }

    /** The adapters of a LoRA checkpoint, for a base of shape {@code config} (checked by {@link PeftAdapter#read}). */
    public static LoraWeights loraAdapters(Path dir, ModelConfig config, NDManager manager) {
        return PeftAdapter.read(dir, config, manager);
    }

    public static Map<String, Safetensors.Tensor> optimizerState(Path dir) {
        return Safetensors.read(dir.resolve(OPTIMIZER_FILE));
    }

    static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), Sha256.newDigest())) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of()
                    .formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
