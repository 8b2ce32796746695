package dev.gspo.rollout.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.tokenizer.BuiltinVocabulary;
import dev.gspo.common.tokenizer.PolicyTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bound on characters per token, read from tokenizer.json, and that it holds for the real tokenizers. */
class PromptTextLimitTest {
    private static final String BYTE_LEVEL_BPE = "/tokenizer/bytelevel-bpe/tokenizer.json";
    private static final String WORD_LEVEL_WORDS = "/tokenizers/wordlevel-16/tokenizer.json";

    @TempDir
    Path dir;

    @Test
    void theBuiltinCharacterVocabularyStandsForAtMostFiveCharactersPerToken() {
        PromptTextLimit limit = PromptTextLimit.of(BuiltinVocabulary.tokenizerJson());

        assertThat(limit.maxCharsPerToken()).as(limit.reason()).isEqualTo(5); // "<pad>", matched literally
        assertThat(limit.maxChars(48)).isEqualTo(240);
    }

    @Test
    void aByteLevelBpeIsBoundedByItsLongestEntryOrAddedToken() throws IOException {
        PromptTextLimit limit = PromptTextLimit.of(resource(BYTE_LEVEL_BPE));

        assertThat(limit.maxCharsPerToken()).as(limit.reason()).isEqualTo("<|endoftext|>".length());
    }

    @Test
    void tokenizersThatCanSwallowAnySpanIntoOneTokenHaveNoBound() throws IOException {
        // whitespace-split words of a word-level vocabulary: an unknown word of any length is one <unk>
        assertThat(PromptTextLimit.of(resource(WORD_LEVEL_WORDS)).bounded()).isFalse();
        String builtin = BuiltinVocabulary.tokenizerJson();
        assertThat(PromptTextLimit.of(builtin.replace("\"normalizer\" : null", "\"normalizer\":{\"type\":\"NFKC\"}"))
                        .reason())
                .contains("normalizer");
        assertThat(PromptTextLimit.of(builtin.replace("\"Isolated\"", "\"Removed\""))
                        .bounded())
                .isFalse();
        String fusedUnknowns = """
                {"normalizer":null,"pre_tokenizer":null,"added_tokens":[],
                 "model":{"type":"BPE","unk_token":"<unk>","fuse_unk":true,"byte_fallback":false,"vocab":{"a":0}}}""";
        assertThat(PromptTextLimit.of(fusedUnknowns).reason()).contains("fuses unknown");
        assertThat(PromptTextLimit.of(fusedUnknowns.replace("\"byte_fallback\":false", "\"byte_fallback\":true"))
                        .bounded())
                .isTrue();
    }

    /** The rule checked against the tokenizers themselves: tokens × L ≥ characters, on hostile random texts. */
    @Test
    void noTextHasFewerTokensThanItsLengthOverTheBound() throws IOException {
        Path builtin = BuiltinVocabulary.writeTo(dir.resolve("builtin"));
        Path bpe = Files.createDirectories(dir.resolve("bpe")).resolve(PolicyTokenizer.FILE_NAME);
        Files.writeString(bpe, resource(BYTE_LEVEL_BPE));
        List<String> pieces = List.of(
                "<pad>",
                "<eos>",
                "<|endoftext|>",
                "<|im_end|>",
                "12+34=",
                " ",
                "\n",
                "\t",
                "é",
                "🤖",
                "\uD800",
                "abc",
                "Ġ",
                "zzzz",
                "\u0000",
                "ﬀ");
        SplittableRandom rng = new SplittableRandom(17);
        for (Path file : List.of(builtin, bpe)) {
            PromptTextLimit limit = PromptTextLimit.of(Files.readString(file));
            int tightest = Integer.MAX_VALUE;
            try (PolicyTokenizer tokenizer = PolicyTokenizer.load(file)) {
                for (int i = 0; i < 400; i++) {
                    StringBuilder text = new StringBuilder();
                    for (int n = rng.nextInt(1, 30); n > 0; n--) {
                        text.append(pieces.get(rng.nextInt(pieces.size())));
                    }
                    int tokens = tokenizer.encode(text.toString()).length;
                    assertThat((long) tokens * limit.maxCharsPerToken())
                            .as("%s: %d tokens for %d characters: %s", file, tokens, text.length(), text)
                            .isGreaterThanOrEqualTo(text.length());
                    tightest = Math.min(tightest, tokens * limit.maxCharsPerToken() - text.length());
                }
                String longestAdded = file == builtin ? "<pad>" : "<|endoftext|>";
                assertThat(tokenizer.encode(longestAdded))
                        .as("the bound is reached: one token for %s", longestAdded)
                        .hasSize(1);
            }
            assertThat(tightest).as("slack of the tightest case, %s", file).isGreaterThanOrEqualTo(0);
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = PromptTextLimitTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
