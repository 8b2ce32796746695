package dev.gspo.common.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The character-level vocabulary of the built-in default model, and the Hugging Face
 * {@code tokenizer.json} that encodes it.
 *
 * <p>Why character level: the built-in tasks (addition, word reversal) are about single
 * characters, a tiny model learns them faster when every digit is one token, and the vocabulary
 * (50 entries) keeps the LM head negligible. Why a real {@code tokenizer.json}: the built-in model
 * directory must look like any Hugging Face checkpoint, so the same loading code serves it and
 * other tools can read it.
 *
 * <p>The file is a {@code WordLevel} model over single characters. A {@code Split} pre-tokenizer
 * with the regex {@code [\s\S]} isolates every code point (including space and newline, which a
 * whitespace pre-tokenizer would drop), and the {@code Fuse} decoder concatenates tokens without
 * the separating space that Hugging Face inserts when a tokenizer has no decoder. Any character
 * outside the vocabulary becomes {@code <unk>}. There is no normalizer and no post-processor:
 * encoding never adds {@code <bos>}/{@code <eos>} by itself.
 *
 * <p>The ids are part of the model's identity (a checkpoint is only meaningful with the same
 * ids): never reorder {@link #TOKENS}, only append.
 */
public final class BuiltinVocabulary {

    public static final String PAD = "<pad>";
    public static final String BOS = "<bos>";
    public static final String EOS = "<eos>";
    public static final String UNK = "<unk>";

    /** Special tokens, ids 0..3. */
    public static final List<String> SPECIAL_TOKENS = List.of(PAD, BOS, EOS, UNK);

    /** Every token in id order: index = token id. */
    public static final List<String> TOKENS = buildTokens();

    public static final int PAD_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    public static final int UNK_ID = 3;

    private BuiltinVocabulary() {}

    /** Number of tokens (the model's {@code vocab_size}). */
    public static int size() {
        return TOKENS.size();
    }

    /** The plain characters the vocabulary covers (everything but the special tokens). */
    public static String alphabet() {
        return String.join("", TOKENS.subList(SPECIAL_TOKENS.size(), TOKENS.size()));
    }

    /** Writes {@code tokenizer.json} into {@code modelDir} (created if missing) and returns its path. */
    public static Path writeTo(Path modelDir) throws IOException {
        Files.createDirectories(modelDir);
        Path file = modelDir.resolve(PolicyTokenizer.FILE_NAME);
        Files.writeString(file, tokenizerJson(), StandardCharsets.UTF_8);
        return file;
    }

    /** The {@code tokenizer.json} text (Hugging Face tokenizers format, version 1.0). */
    public static String tokenizerJson() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");

        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < SPECIAL_TOKENS.size(); id++) {
            added.addObject()
                    .put("id", id)
                    .put("content", SPECIAL_TOKENS.get(id))
                    .put("single_word", false)
                    .put("lstrip", false)
                    .put("rstrip", false)
                    .put("normalized", false)
                    .put("special", true);
        }
        root.putNull("normalizer");

        ObjectNode split = root.putObject("pre_tokenizer");
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", "[\\s\\S]");
        split.put("behavior", "Isolated");
        split.put("invert", false);

        root.putNull("post_processor");
        root.putObject("decoder").put("type", "Fuse");

        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < TOKENS.size(); id++) {
            vocab.put(TOKENS.get(id), id);
        }
        model.put("unk_token", UNK);
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise the built-in tokenizer", e);
        }
    }

    private static List<String> buildTokens() {
        List<String> tokens = new ArrayList<>(SPECIAL_TOKENS);
        tokens.add("\n");
        tokens.add(" ");
        for (char c = '0'; c <= '9'; c++) {
            tokens.add(String.valueOf(c));
        }
        for (char c : "+-*=,.?:".toCharArray()) {
            tokens.add(String.valueOf(c));
        }
        for (char c = 'a'; c <= 'z'; c++) {
            tokens.add(String.valueOf(c));
        }
        return Collections.unmodifiableList(tokens);
    }
}
