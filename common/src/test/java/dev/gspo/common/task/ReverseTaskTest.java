package dev.gspo.common.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ReverseTaskTest {

    @Test
    void rewardsOnlyTheReversedWord() {
        ReverseTask task = new ReverseTask(3, 5, 50);
        TaskExample e = new TaskExample("reverse:abc", "rev abc=", "cba");
        assertThat(task.reward(e, "cba\n")).isEqualTo(1.0);
        assertThat(task.reward(e, "cba\nxyz")).isEqualTo(1.0);
        assertThat(task.reward(e, "abc\n")).isZero();
        assertThat(task.reward(e, "CBA\n")).isZero();
        assertThat(task.reward(e, "cb")).isZero();
    }

    @Test
    void generatesLowercaseWordsOfTheConfiguredLengths() {
        ReverseTask task = new ReverseTask(2, 4, 50);
        List<TaskExample> examples = task.sample(1000, new SplittableRandom(1));
        assertThat(examples).allSatisfy(e -> {
            assertThat(e.prompt()).matches("rev [a-z]{2,4}=");
            String word = e.prompt().substring(4, e.prompt().length() - 1);
            assertThat(e.answer()).isEqualTo(new StringBuilder(word).reverse().toString());
            assertThat(task.reward(e, task.idealCompletion(e))).isEqualTo(1.0);
        });
        assertThat(examples.stream().map(e -> e.answer().length()).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder(2, 3, 4);
    }

    @Test
    void keepsHeldOutWordsOutOfTrainingAndSamplesDeterministically() {
        ReverseTask task = new ReverseTask(3, 5, 200);
        Set<String> held = task.heldOut().stream().map(TaskExample::prompt).collect(Collectors.toSet());
        assertThat(held).hasSize(200);
        assertThat(task.sample(20_000, new SplittableRandom(9))).noneMatch(e -> held.contains(e.prompt()));
        assertThat(task.sample(50, new SplittableRandom(9))).isEqualTo(task.sample(50, new SplittableRandom(9)));
        assertThat(new ReverseTask(3, 5, 200).heldOut()).isEqualTo(task.heldOut());
    }

    @Test
    void rejectsInvalidLengths() {
        assertThatThrownBy(() -> new ReverseTask(0, 3, 10)).hasMessageContaining("minLength=0");
        assertThatThrownBy(() -> new ReverseTask(4, 3, 10)).hasMessageContaining("maxLength=3");
        assertThatThrownBy(() -> new ReverseTask(1, 17, 10)).hasMessageContaining("17");
    }
}
