package dev.gspo.rollout.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How long a prompt text can be and still fit the model, known before it is tokenised: tokenising is the costly part
 * of checking a prompt (a 1 MB text took 2.3–2.6 s of CPU with the built-in tokenizer before its length was checked).
 *
 * <p><b>The rule.</b> If every token the tokenizer emits stands for at most {@code L} characters (UTF-16 units) of
 * the text, a text of {@code n} characters has at least {@code ⌈n / L⌉} tokens. A prompt has at most
 * {@code max_position_embeddings − maxNewTokens} tokens, so a text longer than that many × {@code L} characters
 * cannot fit and is refused (422) without tokenising it. Note the direction: "a text has at most as many tokens as
 * bytes" (true of byte-level and character vocabularies) bounds tokens from above and proves nothing here; what is
 * needed is a bound on the characters one token can cover.
 *
 * <p><b>When {@code L} exists</b>, read from {@code tokenizer.json}: no normalizer (one could shrink the text), a
 * pre-tokenizer that keeps every character ({@code ByteLevel}, {@code Metaspace}, {@code Split} without
 * {@code Removed}, {@code Digits}, {@code Punctuation}, {@code UnicodeScripts}, or a sequence of them) and a model
 * that cannot swallow an unbounded span into one token: {@code BPE} without fused unknowns ({@code L} = its longest
 * vocabulary entry, which for byte-level BPE is in bytes, at least the characters it covers), or {@code WordLevel}
 * over single code points (the built-in character vocabulary: {@code Split} on {@code [\s\S]}); added tokens (matched
 * literally, e.g. {@code <pad>}) count with their length, and a code point may be two UTF-16 units. The built-in
 * tokenizer has {@code L = 5}.
 *
 * <p><b>Otherwise</b> (e.g. a word-level vocabulary over whitespace-split words, whose unknown token covers a word of
 * any length, or a normalizer) no such bound exists, texts are tokenised whole, and
 * {@code gspo.rollout.max-request-bytes} is what bounds the work.
 *
 * @param maxCharsPerToken {@code L}, or 0 when the tokenizer admits no bound
 * @param reason           why, for the start-up log
 */
record PromptTextLimit(int maxCharsPerToken, String reason) {
    private static final Set<String> KEEPING_PRE_TOKENIZERS =
            Set.of("ByteLevel", "Metaspace", "Split", "Digits", "Punctuation", "UnicodeScripts");
    private static final String EVERY_CODE_POINT = "[\\s\\S]";

    static PromptTextLimit of(String tokenizerJson) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(tokenizerJson);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tokenizer.json is not JSON: " + e.getOriginalMessage(), e);
        }
        if (!root.path("normalizer").isNull() && !root.path("normalizer").isMissingNode()) {
            return unbounded("it has a normalizer ("
                    + root.path("normalizer").path("type").asText() + ")");
        }
        JsonNode pre = root.path("pre_tokenizer");
        String dropping = droppingPreTokenizer(pre);
        if (dropping != null) {
            return unbounded("its pre-tokenizer " + dropping + " may drop characters");
        }
        JsonNode model = root.path("model");
        int longest = 2; // one code point, maybe a surrogate pair, is the least a token can stand for
        switch (model.path("type").asText()) {
            case "BPE" -> {
                boolean unknownsFuse = model.path("fuse_unk").asBoolean(false)
                        && !model.path("unk_token").isNull()
                        && !model.path("unk_token").isMissingNode()
                        && !model.path("byte_fallback").asBoolean(false);
                if (unknownsFuse) {
                    return unbounded("its BPE model fuses unknown characters into one token");
                }
                for (Map.Entry<String, JsonNode> entry : model.path("vocab").properties()) {
                    longest = Math.max(longest, entry.getKey().length());
                }
            }
            case "WordLevel" -> {
                if (!splitsEveryCodePoint(pre)) {
                    return unbounded("its WordLevel model maps a whole pre-token of any length to one token");
                }
            }
            default -> {
                return unbounded("its " + model.path("type").asText() + " model is not one this rule knows");
            }
        }
        for (JsonNode added : root.path("added_tokens")) {
            longest = Math.max(longest, added.path("content").asText().length());
        }
        return new PromptTextLimit(
                longest, model.path("type").asText() + " model, longest token " + longest + " chars");
    }

    private static PromptTextLimit unbounded(String why) {
        return new PromptTextLimit(0, why);
    }

    /** The type of the first pre-tokenizer that may drop characters, or null if none does. */
    private static String droppingPreTokenizer(JsonNode pre) {
        if (pre.isNull() || pre.isMissingNode()) {
            return null;
        }
        String type = pre.path("type").asText();
        if (type.equals("Sequence")) {
            for (JsonNode p : pre.path("pretokenizers")) {
                String dropping = droppingPreTokenizer(p);
                if (dropping != null) {
                    return dropping;
                }
            }
            return null;
        }
        boolean removes = pre.path("behavior").asText().equals("Removed");
        return KEEPING_PRE_TOKENIZERS.contains(type) && !removes ? null : type;
    }

    /** A {@code Split} (alone or in a sequence) that isolates every code point: each pre-token is one code point. */
    private static boolean splitsEveryCodePoint(JsonNode pre) {
        List<JsonNode> steps = new ArrayList<>();
        if (pre.path("type").asText().equals("Sequence")) {
            pre.path("pretokenizers").forEach(steps::add);
        } else {
            steps.add(pre);
        }
        return steps.stream()
                .anyMatch(p -> p.path("type").asText().equals("Split")
                        && p.path("pattern").path("Regex").asText().equals(EVERY_CODE_POINT)
                        && p.path("behavior").asText().equals("Isolated")
                        && !p.path("invert").asBoolean(false));
    }

    boolean bounded() {
        return maxCharsPerToken > 0;
    }

    /** The most characters a text of at most {@code promptTokens} tokens can have (when {@link #bounded()}). */
    long maxChars(int promptTokens) {
        return (long) Math.max(0, promptTokens) * maxCharsPerToken;
    }
}
