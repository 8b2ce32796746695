package dev.gspo.common.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A prompt fits when tokens(prompt) ≤ max_position_embeddings − maxNewTokens (here one token per character). */
class PromptFitTest {

    private static Optional<String> check(List<TaskExample> examples) {
        return PromptFit.problem(examples, Optional.empty(), String::length, 10, 4, "task.path 'd.jsonl'", "model 'm'");
    }

    @Test
    void aPromptOfExactlyTheRoomLeftFits() {
        assertThat(check(List.of(new TaskExample("a", "abc", "1"), new TaskExample("b", "abcdef", "1"))))
                .isEmpty();
    }

    @Test
    void theFirstPromptTooLongIsNamedWithItsLengthTheLimitAndHowManyOthers() {
        assertThat(check(List.of(
                        new TaskExample("a", "abc", "1"),
                        new TaskExample("b", "abcdefg", "1"),
                        new TaskExample("c", "abcdefgh", "1"))))
                .hasValue(
                        "task.path 'd.jsonl': example 'b' has a prompt of 7 tokens (and 1 more prompt(s) are too long),"
                                + " more than the 6 a prompt may have: max_position_embeddings 10 of model 'm'"
                                + " − sampling.maxNewTokens 4; shorten the prompt or lower sampling.maxNewTokens");
    }
}
