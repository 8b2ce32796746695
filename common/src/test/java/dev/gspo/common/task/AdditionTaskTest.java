package dev.gspo.common.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AdditionTaskTest {

    private static final TaskExample TWELVE_PLUS_34 = new TaskExample("addition:12+34", "12+34=", "46");

    private static AdditionTask task(int minDigits, int maxDigits) {
        return new AdditionTask(minDigits, maxDigits, 200);
    }

    @Test
    void rewardsOnlyTheExactSum() {
        AdditionTask task = task(1, 2);
        assertThat(task.reward(TWELVE_PLUS_34, "46\n")).isEqualTo(1.0);
        assertThat(task.reward(TWELVE_PLUS_34, "46")).isEqualTo(1.0);
        assertThat(task.reward(TWELVE_PLUS_34, " 46 \n")).isEqualTo(1.0);
        assertThat(task.reward(TWELVE_PLUS_34, "47\n")).isZero();
        assertThat(task.reward(TWELVE_PLUS_34, "046\n")).isZero();
        assertThat(task.reward(TWELVE_PLUS_34, "466\n")).isZero();
        assertThat(task.reward(TWELVE_PLUS_34, "4 6\n")).isZero();
        assertThat(task.reward(TWELVE_PLUS_34, "")).isZero();
        assertThat(task.reward(TWELVE_PLUS_34, "\n46")).isZero();
    }

    @Test
    void scoresOnlyTheTextBeforeTheStopMarker() {
        AdditionTask task = task(1, 2);
        assertThat(task.reward(TWELVE_PLUS_34, "46\n12+34=47\ngarbage")).isEqualTo(1.0);
        assertThat(task.reward(TWELVE_PLUS_34, "45\n46")).isZero();
    }

    @Test
    void formatsPromptAnswerAndIdealCompletion() {
        AdditionTask task = task(1, 3);
        for (TaskExample e : task.sample(500, new SplittableRandom(1))) {
            assertThat(e.prompt()).matches("\\d+\\+\\d+=");
            String[] ops = e.prompt().substring(0, e.prompt().length() - 1).split("\\+");
            assertThat(Long.parseLong(e.answer())).isEqualTo(Long.parseLong(ops[0]) + Long.parseLong(ops[1]));
            assertThat(e.id()).isEqualTo("addition:" + ops[0] + "+" + ops[1]);
            assertThat(task.idealCompletion(e)).isEqualTo(e.answer() + "\n");
            assertThat(task.reward(e, task.idealCompletion(e))).isEqualTo(1.0);
        }
    }

    @Test
    void respectsTheDigitCounts() {
        AdditionTask task = task(2, 3);
        Set<Integer> lengths = new HashSet<>();
        for (TaskExample e : task.sample(2000, new SplittableRandom(2))) {
            for (String operand : e.prompt().replace("=", "").split("\\+")) {
                assertThat(operand.length()).isBetween(2, 3);
                assertThat(operand).doesNotStartWith("0");
                lengths.add(operand.length());
            }
        }
        assertThat(lengths).containsExactlyInAnyOrder(2, 3);
        assertThat(task(1, 1).sample(300, new SplittableRandom(3)))
                .allSatisfy(e -> assertThat(e.prompt()).matches("\\d\\+\\d="));
        assertThat(task(18, 18).sample(50, new SplittableRandom(4)))
                .allSatisfy(e -> assertThat(e.prompt()).hasSize(18 + 1 + 18 + 1));
    }

    @Test
    void samplesTheSameExamplesForTheSameSeed() {
        AdditionTask task = task(1, 3);
        assertThat(task.sample(100, new SplittableRandom(42))).isEqualTo(task.sample(100, new SplittableRandom(42)));
        assertThat(task.sample(100, new SplittableRandom(42))).isNotEqualTo(task.sample(100, new SplittableRandom(43)));
        assertThat(task.demonstrations(5, new SplittableRandom(42)))
                .extracting(Demonstration::example)
                .isEqualTo(task.sample(5, new SplittableRandom(42)));
    }

    @Test
    void keepsHeldOutProblemsOutOfTraining() {
        AdditionTask task = task(1, 2);
        List<TaskExample> heldOut = task.heldOut();
        assertThat(heldOut).hasSize(200).doesNotHaveDuplicates();
        Set<String> heldPrompts = new HashSet<>();
        for (TaskExample e : heldOut) {
            heldPrompts.add(e.prompt());
            String[] ops = e.prompt().replace("=", "").split("\\+");
            heldPrompts.add(ops[1] + "+" + ops[0] + "="); // the commuted problem is held out too
        }
        List<TaskExample> training = task.sample(50_000, new SplittableRandom(5));
        assertThat(training).noneMatch(e -> heldPrompts.contains(e.prompt()));
        // One pair in 16 is held out: the rest of the space stays trainable.
        int held = 0;
        for (int a = 0; a < 100; a++) {
            for (int b = 0; b < 100; b++) {
                held += task.isHeldOut(a, b) ? 1 : 0;
            }
        }
        assertThat(held / 10_000.0).isBetween(0.04, 0.09);
    }

    @Test
    void heldOutSetIsFixedAndRespectsDigitCounts() {
        assertThat(task(1, 2).heldOut()).isEqualTo(task(1, 2).heldOut());
        assertThat(task(3, 3).heldOut()).hasSize(200).allSatisfy(e -> assertThat(e.prompt())
                .matches("\\d{3}\\+\\d{3}="));
        assertThat(task(1, 1).heldOut()).hasSizeLessThan(20).allSatisfy(e -> assertThat(e.prompt())
                .matches("\\d\\+\\d="));
        assertThat(new AdditionTask(1, 2, 0).heldOut()).isEmpty();
        assertThat(task(1, 3).isHeldOut(12, 34)).isEqualTo(task(1, 3).isHeldOut(34, 12));
    }

    @Test
    void rejectsInvalidDigitCounts() {
        assertThatThrownBy(() -> task(0, 2)).hasMessageContaining("minDigits=0");
        assertThatThrownBy(() -> task(3, 2)).hasMessageContaining("maxDigits=2");
        assertThatThrownBy(() -> task(1, 19)).hasMessageContaining("19");
        assertThatThrownBy(() -> task(1, 2).sample(-1, new SplittableRandom(0))).hasMessageContaining("-1");
    }
}
