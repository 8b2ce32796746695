package dev.gspo.common.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A GPT-2/Qwen-style tokenizer (fixture from {@code src/test/scripts/make_bytelevel_bpe.py}). */
class ByteLevelBpeTokenizerTest {

    static PolicyTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException, URISyntaxException {
        Path dir = Path.of(ByteLevelBpeTokenizerTest.class
                .getResource("/tokenizer/bytelevel-bpe")
                .toURI());
        tokenizer = PolicyTokenizer.load(dir);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void appliesMergesAndAddsNothing() {
        // "Ġthe" = 258, "12" = 259; 'x' = byte 120, 'Ġ' (space) = the symbol of byte 32 = id 32.
        assertThat(tokenizer.encode(" the")).containsExactly(258);
        assertThat(tokenizer.encode("12")).containsExactly(259);
        assertThat(tokenizer.encode("x y")).containsExactly(120, 32, 121);
    }

    @Test
    void roundTripsUnicodeWhitespaceAndLongText() {
        for (String s :
                new String[] {"", " the in 12+34=46\n", "  leading and trailing  ", "héllo wörld 🎉\t\r\n", "Ω≈ç√∫"}) {
            assertThat(tokenizer.decode(tokenizer.encode(s))).isEqualTo(s);
        }
        Random rng = new Random(7);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 5000) {
            sb.appendCodePoint(rng.nextInt(3) == 0 ? ' ' : 0x20 + rng.nextInt(0x2000));
        }
        String long_ = sb.toString();
        int[] ids = tokenizer.encode(long_);
        assertThat(ids.length).isGreaterThan(512);
        assertThat(tokenizer.decode(ids)).isEqualTo(long_);
    }

    @Test
    void findsHuggingFaceSpecialTokenNames() {
        assertThat(tokenizer.vocabSize()).isEqualTo(263);
        assertThat(tokenizer.eosTokenId()).isEqualTo(261); // <|endoftext|> before <|im_end|>
        assertThat(tokenizer.padTokenId()).isEqualTo(261); // no pad token: pad = <|endoftext|>
        assertThat(tokenizer.bosTokenId()).isEmpty();
        assertThat(tokenizer.tokenId("Ġthe")).hasValue(258);
        assertThat(tokenizer.decode(new int[] {258, 262, 261})).isEqualTo(" the");
    }
}
