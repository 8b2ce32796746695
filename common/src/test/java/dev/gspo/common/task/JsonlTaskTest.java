package dev.gspo.common.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlTaskTest {

    @TempDir
    Path dir;

    private Path file(String name, String... lines) throws IOException {
        return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
    }

    private Path capitals(int n) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lines.add("{\"prompt\": \"q" + i + "?\", \"answer\": \"a" + i + "\"}");
        }
        return file("capitals.jsonl", lines.toArray(String[]::new));
    }

    @Test
    void readsPromptsAnswersAndIds() throws IOException {
        Path f = file(
                "qa.jsonl",
                "{\"prompt\": \"Capital of France?\", \"answer\": \"Paris\"}",
                "",
                "{\"id\": \"q2\", \"prompt\": \"2+2=\", \"answer\": 4, \"source\": \"ignored\"}");
        JsonlTask task = JsonlTask.load(f, 0.0);
        assertThat(task.training())
                .containsExactly(
                        new TaskExample("qa.jsonl:1", "Capital of France?", "Paris"),
                        new TaskExample("q2", "2+2=", "4"));
        assertThat(task.heldOut()).isEmpty();
        assertThat(task.name()).isEqualTo("jsonl");
    }

    @Test
    void rewardsNormalisedExactMatch() throws IOException {
        JsonlTask task =
                JsonlTask.load(file("qa.jsonl", "{\"prompt\": \"Where?\", \"answer\": \"The  Eiffel Tower\"}"), 0.0);
        TaskExample e = task.training().getFirst();
        assertThat(task.reward(e, "the eiffel tower\n")).isEqualTo(1.0);
        assertThat(task.reward(e, "  THE Eiffel\tTower.  \nmore text")).isEqualTo(1.0);
        assertThat(task.reward(e, "the eiffel tower...")).isEqualTo(1.0);
        assertThat(task.reward(e, "eiffel tower")).isZero();
        assertThat(task.reward(e, "the eiffeltower")).isZero();
        assertThat(task.reward(e, "\nthe eiffel tower")).isZero();
        assertThat(task.idealCompletion(e)).isEqualTo("The  Eiffel Tower\n");
    }

    @Test
    void namesTheLineOfABadRow() throws IOException {
        String good = "{\"prompt\": \"p\", \"answer\": \"a\"}";
        assertLineError(file("a.jsonl", good, "{not json"), 2, "invalid JSON");
        assertLineError(file("b.jsonl", good, good, "[1, 2]"), 3, "JSON object");
        assertLineError(file("c.jsonl", "{\"answer\": \"a\"}"), 1, "\"prompt\"");
        assertLineError(file("d.jsonl", "{\"prompt\": \"\", \"answer\": \"a\"}"), 1, "\"prompt\"");
        assertLineError(file("e.jsonl", good, "", "{\"prompt\": \"p\"}"), 3, "\"answer\"");
        assertLineError(file("f.jsonl", "{\"prompt\": \"p\", \"answer\": [\"a\"]}"), 1, "\"answer\"");
        assertLineError(file("g.jsonl", "{\"prompt\": \"p\", \"answer\": \"a\\nb\"}"), 1, "newline");
        assertLineError(file("h.jsonl", "{\"prompt\": \"p\", \"answer\": \" . \"}"), 1, "empty");
        assertLineError(file("i.jsonl", good + " trailing"), 1, "invalid JSON");
    }

    private static void assertLineError(Path f, int line, String detail) {
        assertThatThrownBy(() -> JsonlTask.load(f, 0.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f.getFileName().toString())
                .hasMessageContaining("line " + line + ":")
                .hasMessageContaining(detail);
    }

    /** A file that is not a dataset at all: the error names the line and the column, never what the line holds. */
    @Test
    void neverRepeatsWhatABadLineHolds() throws IOException {
        String key = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        String shadow = "root:$y$j9T$Qm7Rt2Kd9Xw4Ls1VaB3cD$Hc5Np8Fj3Gz6Bt0YkL2mN4pQ6rS8tU0vW:19700:0:99999:7:::";
        for (String line : new String[] {key, shadow, "{\"prompt\": \"p\", \"answer\": \"a\"} " + key}) {
            Path f = file("secret.jsonl", line);
            assertThatThrownBy(() -> JsonlTask.load(f, 0.0))
                    .hasMessageContaining("line 1: invalid JSON (line 1, column ")
                    .satisfies(e -> {
                        for (int i = 0; i + 8 <= line.length(); i++) {
                            assertThat(e.getMessage()).doesNotContain(line.substring(i, i + 8));
                        }
                    });
        }
    }

    @Test
    void rejectsAnEmptyFileAndAMissingFile() throws IOException {
        assertThatThrownBy(() -> JsonlTask.load(file("empty.jsonl", "", "  "), 0.0))
                .hasMessageContaining("no examples");
        assertThatThrownBy(() -> JsonlTask.load(dir.resolve("missing.jsonl"), 0.0))
                .isInstanceOf(IOException.class);
    }

    @Test
    void splitsByPromptHashDisjointlyAndDeterministically() throws IOException {
        JsonlTask task = JsonlTask.load(capitals(1000), 0.2);
        assertThat(task.heldOut().size()).isBetween(150, 250);
        assertThat(task.training().size() + task.heldOut().size()).isEqualTo(1000);
        Set<String> held = task.heldOut().stream().map(TaskExample::prompt).collect(Collectors.toSet());
        assertThat(task.sample(5000, new SplittableRandom(1))).noneMatch(e -> held.contains(e.prompt()));
        assertThat(JsonlTask.load(capitals(1000), 0.2).heldOut()).isEqualTo(task.heldOut());
        // The split of a prompt does not depend on the rest of the file.
        assertThat(JsonlTask.load(capitals(500), 0.2).heldOut())
                .isEqualTo(task.heldOut().stream()
                        .filter(e -> Integer.parseInt(
                                        e.prompt().substring(1, e.prompt().length() - 1))
                                < 500)
                        .toList());
    }

    @Test
    void usesASecondFileAsHeldOutAndDropsSharedPrompts() throws IOException {
        Path train =
                file("train.jsonl", "{\"prompt\": \"a\", \"answer\": \"1\"}", "{\"prompt\": \"b\", \"answer\": \"2\"}");
        Path eval =
                file("eval.jsonl", "{\"prompt\": \"b\", \"answer\": \"2\"}", "{\"prompt\": \"c\", \"answer\": \"3\"}");
        JsonlTask task = JsonlTask.load(train, eval);
        assertThat(task.training()).extracting(TaskExample::prompt).containsExactly("a");
        assertThat(task.heldOut()).extracting(TaskExample::prompt).containsExactly("b", "c");
        assertThatThrownBy(() -> JsonlTask.load(eval, eval)).hasMessageContaining("every prompt");
    }

    @Test
    void samplesUniformlyAndReproducibly() throws IOException {
        JsonlTask task = JsonlTask.load(capitals(10), 0.0);
        List<TaskExample> draws = task.sample(2000, new SplittableRandom(3));
        assertThat(draws).isEqualTo(task.sample(2000, new SplittableRandom(3)));
        assertThat(draws.stream()
                        .collect(Collectors.groupingBy(TaskExample::id, Collectors.counting()))
                        .values())
                .hasSize(10)
                .allSatisfy(count -> assertThat(count).isBetween(140L, 260L));
    }

    @Test
    void rejectsAFractionOutsideZeroToOne() throws IOException {
        Path f = capitals(3);
        assertThatThrownBy(() -> JsonlTask.load(f, 1.0)).hasMessageContaining("1.0");
        assertThatThrownBy(() -> JsonlTask.load(f, -0.1)).hasMessageContaining("-0.1");
        assertThatThrownBy(() -> JsonlTask.load(f, Double.NaN)).hasMessageContaining("NaN");
    }
}
