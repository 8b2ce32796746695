package dev.gspo.common.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuiltinTokenizerTest {

    @TempDir
    static Path modelDir;

    static PolicyTokenizer tokenizer;

    @BeforeAll
    static void writeAndLoad() throws IOException {
        BuiltinVocabulary.writeTo(modelDir);
        tokenizer = PolicyTokenizer.load(modelDir);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void encodesAdditionPromptToStableIds() {
        // A change here changes every built-in checkpoint: append to the vocabulary, never reorder.
        assertThat(tokenizer.encode("12+34=")).containsExactly(7, 8, 16, 9, 10, 19);
    }

    @Test
    void hasTheDocumentedVocabulary() {
        assertThat(tokenizer.vocabSize()).isEqualTo(50).isEqualTo(BuiltinVocabulary.size());
        assertThat(BuiltinVocabulary.alphabet()).isEqualTo("\n 0123456789+-*=,.?:abcdefghijklmnopqrstuvwxyz");
        for (int id = 0; id < BuiltinVocabulary.size(); id++) {
            assertThat(tokenizer.tokenId(BuiltinVocabulary.TOKENS.get(id))).hasValue(id);
        }
    }

    @Test
    void findsSpecialTokensByName() {
        assertThat(tokenizer.padTokenId()).isZero();
        assertThat(tokenizer.bosTokenId()).hasValue(BuiltinVocabulary.BOS_ID);
        assertThat(tokenizer.eosTokenId()).isEqualTo(BuiltinVocabulary.EOS_ID);
        assertThat(tokenizer.tokenId("<unk>")).hasValue(BuiltinVocabulary.UNK_ID);
        assertThat(tokenizer.tokenId("ab")).isEmpty();
    }

    @Test
    void roundTripsEveryStringOverTheVocabulary() {
        String alphabet = BuiltinVocabulary.alphabet();
        Random rng = new Random(42);
        for (int trial = 0; trial < 500; trial++) {
            StringBuilder text = new StringBuilder();
            int length = rng.nextInt(40);
            for (int i = 0; i < length; i++) {
                text.append(alphabet.charAt(rng.nextInt(alphabet.length())));
            }
            String s = text.toString();
            int[] ids = tokenizer.encode(s);
            assertThat(ids).hasSize(s.length());
            assertThat(tokenizer.decode(ids)).isEqualTo(s);
        }
    }

    @Test
    void keepsSpacesAndNewlinesExactly() {
        for (String s : new String[] {"", " ", "  ", "\n", " 12 + 34 = 46 \n", "\n\na b\n", "   lead", "trail   "}) {
            assertThat(tokenizer.encode(s)).hasSize(s.length());
            assertThat(tokenizer.decode(tokenizer.encode(s))).isEqualTo(s);
        }
    }

    @Test
    void keepsPunctuationThatDjlWouldCleanUp() {
        String s = "a , b . c ? d :e";
        assertThat(tokenizer.decode(tokenizer.encode(s))).isEqualTo(s);
    }

    @Test
    void ignoresTokenizerConfigThatWouldAlterText(@TempDir Path dir) throws IOException {
        BuiltinVocabulary.writeTo(dir);
        java.nio.file.Files.writeString(
                dir.resolve("tokenizer_config.json"),
                "{\"clean_up_tokenization_spaces\": true, \"add_prefix_space\": true, \"model_max_length\": 8}");
        try (PolicyTokenizer t = PolicyTokenizer.load(dir)) {
            String s = "a , b ? 1234567890";
            assertThat(t.encode(s)).hasSize(s.length());
            assertThat(t.decode(t.encode(s))).isEqualTo(s);
        }
    }

    @Test
    void doesNotTruncateLongInputs() {
        String s = "0123456789+-*= abcxyz\n".repeat(250); // 5500 chars
        int[] ids = tokenizer.encode(s);
        assertThat(ids).hasSize(s.length());
        assertThat(tokenizer.decode(ids)).isEqualTo(s);
    }

    @Test
    void mapsUnknownCharactersToUnk() {
        assertThat(tokenizer.encode("A1é🎉")).containsExactly(3, 7, 3, 3);
    }

    @Test
    void addsNoSpecialTokensAndSkipsThemOnDecode() {
        assertThat(tokenizer.encode("7")).containsExactly(13);
        assertThat(tokenizer.decode(new int[] {1, 7, 8, 2, 0, 0})).isEqualTo("12");
        assertThat(tokenizer.encode("<eos>")).hasSize(1).containsExactly(BuiltinVocabulary.EOS_ID);
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        assertThatThrownBy(() -> tokenizer.decode(new int[] {7, 50}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("50")
                .hasMessageContaining("position 1");
        assertThatThrownBy(() -> tokenizer.decode(new int[] {-1})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void acceptsAnExplicitEosId(@TempDir Path dir) throws IOException {
        BuiltinVocabulary.writeTo(dir);
        try (PolicyTokenizer t = PolicyTokenizer.load(dir, 4)) {
            assertThat(t.eosTokenId()).isEqualTo(4);
            assertThat(t.padTokenId()).isZero();
        }
        assertThatThrownBy(() -> PolicyTokenizer.load(dir, 50))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("50");
    }

    @Test
    void failsClearlyWithoutATokenizerFile(@TempDir Path empty) {
        assertThatThrownBy(() -> PolicyTokenizer.load(empty))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("tokenizer.json");
    }
}
