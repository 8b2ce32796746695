package dev.gspo.common.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardFunctionTest {

    @Test
    void normalisesCaseWhitespaceAndTrailingPeriods() {
        assertThat(NormalizedExactMatchReward.normalize("  The  Eiffel\tTower. "))
                .isEqualTo("the eiffel tower");
        assertThat(NormalizedExactMatchReward.normalize("3.14")).isEqualTo("3.14");
        assertThat(NormalizedExactMatchReward.normalize("Done . .")).isEqualTo("done");
        assertThat(NormalizedExactMatchReward.normalize("a\u00a0b\u2003c")).isEqualTo("a\u00a0b c");
        assertThat(NormalizedExactMatchReward.normalize(null)).isEmpty();
    }

    @Test
    void neverThrowsAndStaysFiniteForAnyCompletion(@TempDir Path dir) throws IOException {
        Path jsonl = Files.writeString(
                dir.resolve("d.jsonl"),
                "{\"prompt\": \"Who?\", \"answer\": \"Ada Lovelace\"}\n{\"prompt\": \"n\", \"answer\": \"ünïcödé ✓\"}\n");
        List<Task> tasks = List.of(new AdditionTask(1, 3, 10), new ReverseTask(3, 5, 10), JsonlTask.load(jsonl, 0.0));
        List<String> completions = new ArrayList<>();
        completions.add(null);
        completions.add("");
        completions.add("\n");
        completions.add("\u0000\uFFFF\uD800"); // NUL, non-character, lone surrogate
        completions.add("1".repeat(3_000_000)); // megabytes, no stop marker
        completions.add(" \t\r\n".repeat(500_000));
        completions.add("🎉".repeat(100_000) + "\n46");
        Random random = new Random(1234);
        for (int i = 0; i < 5_000; i++) {
            completions.add(randomString(random));
        }
        for (Task task : tasks) {
            List<TaskExample> examples = new ArrayList<>(task.sample(5, new SplittableRandom(i(task))));
            examples.addAll(task.heldOut());
            for (TaskExample example : examples) {
                for (String completion : completions) {
                    double r = task.reward(example, completion);
                    assertThat(Double.isFinite(r))
                            .as("%s on %s", task.name(), example)
                            .isTrue();
                    assertThat(r).isBetween(0.0, 1.0);
                }
                assertThat(task.reward(example, task.idealCompletion(example))).isEqualTo(1.0);
            }
            assertThat(task.reward(null, "46")).isZero();
        }
    }

    private static long i(Task task) {
        return task.name().length();
    }

    /** Mixes ASCII, digits, whitespace, stop markers and arbitrary UTF-16 units (incl. surrogates). */
    private static String randomString(Random random) {
        int length = random.nextInt(64);
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            switch (random.nextInt(5)) {
                case 0 -> sb.append((char) ('0' + random.nextInt(10)));
                case 1 -> sb.append(" \n\t.".charAt(random.nextInt(4)));
                case 2 -> sb.append((char) (0x20 + random.nextInt(0x5F)));
                case 3 -> sb.append((char) random.nextInt(0x10000));
                default -> sb.appendCodePoint(random.nextInt(0x110000));
            }
        }
        return sb.toString();
    }
}
