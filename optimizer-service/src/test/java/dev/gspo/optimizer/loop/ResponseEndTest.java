package dev.gspo.optimizer.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.task.Demonstration;
import dev.gspo.common.task.TaskExample;
import dev.gspo.common.tokenizer.BuiltinVocabulary;
import dev.gspo.common.tokenizer.PolicyTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The warm start teaches the ending the run samples with: the newline, the first stop string, or the EOS. */
class ResponseEndTest {
    private static final Demonstration DEMO = new Demonstration(new TaskExample("x", "12+34=", "46"), "46\n");

    @Test
    void aDemonstrationEndsTheWayTheRunsResponsesEnd(@TempDir Path dir) throws IOException {
        BuiltinVocabulary.writeTo(dir);
        try (PolicyTokenizer tokenizer = PolicyTokenizer.load(dir)) {
            int[] answer = tokenizer.encode("46");

            assertThat(ResponseEnd.demonstrationIds(tokenizer, DEMO, List.of("\n")))
                    .as("a newline stop keeps the task's completion")
                    .isEqualTo(tokenizer.encode("46\n"));
            assertThat(ResponseEnd.demonstrationIds(tokenizer, DEMO, List.of("=", "\n")))
                    .isEqualTo(tokenizer.encode("46\n"));
            assertThat(ResponseEnd.demonstrationIds(tokenizer, DEMO, List.of("=")))
                    .as("the first stop string instead of the newline")
                    .isEqualTo(tokenizer.encode("46="));
            int[] withEos = Arrays.copyOf(answer, answer.length + 1);
            withEos[answer.length] = tokenizer.eosTokenId();
            assertThat(ResponseEnd.demonstrationIds(tokenizer, DEMO, List.of()))
                    .as("the EOS only: the answer, then the EOS token")
                    .isEqualTo(withEos);
        }
    }
}
