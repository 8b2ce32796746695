package dev.gspo.common.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;

/** INTERIM (replaced by the tasks branch): minimal wrapper so the model compiles. */
public final class PolicyTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    private PolicyTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public static PolicyTokenizer load(Path modelDir) {
        try {
            return new PolicyTokenizer(HuggingFaceTokenizer.builder()
                    .optTokenizerPath(modelDir.resolve("tokenizer.json"))
                    .optAddSpecialTokens(false).optTruncation(false).build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, true);
    }

    public int padTokenId() {
        return 0;
    }

    public OptionalInt tokenId(String token) {
        return OptionalInt.empty();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
