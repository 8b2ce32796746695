package dev.gspo.common.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.tokenizer.BuiltinVocabulary;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The built-in model must be able to read every built-in prompt and write every ideal completion. */
class BuiltinTasksVocabularyTest {

    @Test
    void builtinTasksUseOnlyBuiltinCharacters() {
        String alphabet = BuiltinVocabulary.alphabet();
        for (Task task : List.of(
                new AdditionTask(1, AdditionTask.MAX_DIGITS, 50), new ReverseTask(1, ReverseTask.MAX_LENGTH, 50))) {
            List<TaskExample> examples = new ArrayList<>(task.sample(500, new SplittableRandom(8)));
            examples.addAll(task.heldOut());
            for (TaskExample e : examples) {
                String text = e.prompt() + task.idealCompletion(e);
                assertThat(text.chars()).allMatch(c -> alphabet.indexOf(c) >= 0);
            }
        }
    }
}
