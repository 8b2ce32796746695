package dev.gspo.common.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The policy's tokenizer: a Hugging Face {@code tokenizer.json} run by DJL's native
 * {@link HuggingFaceTokenizer}, configured so that token ids are exactly what the model sees.
 *
 * <p>Choices, and why:
 * <ul>
 *   <li><b>Only {@code tokenizer.json} configures the native tokenizer</b>, never
 *       {@code tokenizer_config.json}: DJL would otherwise apply "clean up tokenization spaces" on
 *       decode (which turns {@code "1 ,2"} into {@code "1,2"}), prefix spaces, lower-casing or
 *       accent stripping, and a completion's text would no longer be the concatenation of its
 *       tokens. Of {@code tokenizer_config.json} ({@link TokenizerConfig}) only the eos token's
 *       name is used here (and the chat template, by {@code dev.gspo.common.chat.ChatTemplate}).</li>
 *   <li><b>No truncation</b>: DJL silently truncates at 512 tokens by default; a truncated prompt
 *       would be a different prompt.</li>
 *   <li><b>No padding</b>: batching pads with {@link #padTokenId()} where it needs to.</li>
 *   <li><b>{@link #encode} never adds special tokens</b>, even when the file has a post-processor
 *       template (e.g. Llama's {@code <s>} prefix): the caller decides, so prompt token ids are
 *       the same in the rollout and in the optimizer. Prepend {@link #bosTokenId()} yourself if
 *       the model was trained with it. As in Hugging Face, a special token's literal text in the
 *       input (e.g. {@code "<eos>"}) is encoded as that token.</li>
 *   <li><b>{@link #decode} skips special tokens</b> (those the file marks {@code "special": true},
 *       e.g. pad/bos/eos, and {@code <unk>} in the built-in vocabulary).</li>
 * </ul>
 *
 * <p>Special ids are looked up by name: eos as {@code tokenizer_config.json}'s {@code eos_token}
 * names it (e.g. Qwen3's {@code <|im_end|>}), else in {@link #EOS_NAMES} order, pad in
 * {@link #PAD_NAMES} order (falling back to eos, as many HF models do), bos in
 * {@link #BOS_NAMES} order. A model's {@code config.json} may name a different eos: read it and
 * use {@link #load(Path, int)}.
 *
 * <p>Thread-safe: the native tokenizer is immutable once built. Close it once, when done.
 */
public final class PolicyTokenizer implements AutoCloseable {

    /** The file read from a model directory. */
    public static final String FILE_NAME = "tokenizer.json";

    /** Candidate eos names, most specific first. */
    public static final List<String> EOS_NAMES =
            List.of("<eos>", "</s>", "<|endoftext|>", "<|im_end|>", "<|end_of_text|>", "<|eot_id|>");
    /** Candidate pad names; when none is present the pad id is the eos id. */
    public static final List<String> PAD_NAMES = List.of("<pad>", "<|pad|>", "[PAD]", "<|endoftext|>");
    /** Candidate bos names. */
    public static final List<String> BOS_NAMES = List.of("<bos>", "<s>", "<|begin_of_text|>", "<|startoftext|>");

    private static final Map<String, String> DJL_OPTIONS = Map.of(
            "truncation", "false",
            "padding", "false",
            "addSpecialTokens", "false",
            "doLowerCase", "false",
            "withOverflowingTokens", "false");

    private final HuggingFaceTokenizer hf;
    private final TokenizerVocabulary vocabulary;
    private final int eosTokenId;
    private final int padTokenId;
    private final OptionalInt bosTokenId;

    private PolicyTokenizer(HuggingFaceTokenizer tokenizer, TokenizerVocabulary vocabulary, int eosTokenId) {
        this.hf = tokenizer;
        this.vocabulary = vocabulary;
        this.eosTokenId = eosTokenId;
        this.padTokenId = vocabulary.firstId(PAD_NAMES).orElse(eosTokenId);
        this.bosTokenId = vocabulary.firstId(BOS_NAMES);
    }

    /**
     * Loads {@code modelDir/tokenizer.json} ({@code modelDir} may also be the file itself), with
     * the eos id found by name.
     *
     * @throws IOException              if the file is missing or not a tokenizer the native library accepts
     * @throws IllegalArgumentException if no token of {@link #EOS_NAMES} exists (use {@link #load(Path, int)})
     */
    public static PolicyTokenizer load(Path modelDir) throws IOException {
        return load(modelDir, null);
    }

    /**
     * Loads the tokenizer with an explicit eos id, e.g. {@code eos_token_id} from the model's
     * {@code config.json}.
     *
     * @throws IllegalArgumentException if {@code eosTokenId} is outside the vocabulary
     */
    public static PolicyTokenizer load(Path modelDir, int eosTokenId) throws IOException {
        return load(modelDir, Integer.valueOf(eosTokenId));
    }

    private static PolicyTokenizer load(Path modelDir, Integer explicitEos) throws IOException {
        Objects.requireNonNull(modelDir, "modelDir");
        Path file = Files.isDirectory(modelDir) ? modelDir.resolve(FILE_NAME) : modelDir;
        if (!Files.isRegularFile(file)) {
            throw new IOException("no tokenizer file at " + file.toAbsolutePath());
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        TokenizerVocabulary vocabulary;
        try {
            vocabulary = TokenizerVocabulary.parse(text);
        } catch (IOException e) {
            throw new IOException("cannot read " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        List<String> eosNames = new java.util.ArrayList<>();
        if (Files.isDirectory(modelDir)) {
            TokenizerConfig.read(modelDir).eosToken().ifPresent(eosNames::add);
        }
        eosNames.addAll(EOS_NAMES);
        int eos = explicitEos != null
                ? explicitEos
                : vocabulary
                        .firstId(eosNames)
                        .orElseThrow(() -> new IllegalArgumentException("no eos token in " + file.toAbsolutePath()
                                + " (looked for " + EOS_NAMES + "); pass the eos id explicitly"));
        if (eos < 0 || eos >= vocabulary.size()) {
            throw new IllegalArgumentException(
                    "eos token id " + eos + " is outside the vocabulary [0, " + vocabulary.size() + ")");
        }
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), DJL_OPTIONS);
        } catch (RuntimeException e) {
            throw new IOException("native tokenizer rejected " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        return new PolicyTokenizer(tokenizer, vocabulary, eos);
    }

    /** Token ids of {@code text}, with no special tokens added and no truncation. */
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        long[] ids = hf.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /**
     * The text of {@code ids}, skipping special tokens.
     *
     * @throws IllegalArgumentException if an id is outside {@code [0, vocabSize())}
     */
    public String decode(int[] ids) {
        Objects.requireNonNull(ids, "ids");
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabulary.size()) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocabulary.size() + ")");
            }
            longs[i] = ids[i];
        }
        return hf.decode(longs, true);
    }

    /** Number of ids (max id + 1): the width of the model's embedding and LM head. */
    public int vocabSize() {
        return vocabulary.size();
    }

    /** The id of a token string as written in the vocabulary (byte-level BPE: e.g. {@code "Ġthe"}). */
    public OptionalInt tokenId(String token) {
        return vocabulary.id(token);
    }

    /** The token string of an id as written in the vocabulary, if the id has one. */
    public Optional<String> token(int id) {
        return vocabulary.token(id);
    }

    public int eosTokenId() {
        return eosTokenId;
    }

    /** The pad id: a token of {@link #PAD_NAMES}, else the eos id. */
    public int padTokenId() {
        return padTokenId;
    }

    public OptionalInt bosTokenId() {
        return bosTokenId;
    }

    @Override
    public void close() {
        hf.close();
    }
}
