package dev.gspo.common.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskSpecTest {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    @Test
    void createsBuiltinTasksWithDefaults() {
        assertThat(TaskSpec.NAMES).containsExactly("addition", "reverse", "jsonl");
        AdditionTask addition = (AdditionTask) TaskSpec.defaults().create();
        assertThat(addition.minDigits()).isEqualTo(1);
        assertThat(addition.maxDigits()).isEqualTo(2);
        assertThat(addition.heldOut()).hasSize(AdditionSpec.DEFAULT_HELD_OUT_SIZE);
        ReverseTask reverse = new ReverseSpec(null, null, null).create();
        assertThat(reverse.minLength()).isEqualTo(3);
        assertThat(reverse.maxLength()).isEqualTo(5);
    }

    @Test
    void readsTheTaskByNameFromJsonAndWritesItBack() throws IOException {
        TaskSpec spec = JSON.readValue(
                "{\"name\":\"addition\",\"minDigits\":2,\"maxDigits\":4,\"heldOutSize\":10}", TaskSpec.class);
        assertThat(spec).isEqualTo(new AdditionSpec(2, 4, 10));
        AdditionTask a = (AdditionTask) spec.create();
        assertThat(a.maxDigits()).isEqualTo(4);
        assertThat(a.heldOut()).hasSize(10);
        assertThat(JSON.writeValueAsString(spec))
                .isEqualTo("{\"name\":\"addition\",\"minDigits\":2,\"maxDigits\":4,\"heldOutSize\":10}");
    }

    @Test
    void createsAJsonlTask(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("d.jsonl"), "{\"prompt\": \"p\", \"answer\": \"a\"}\n");
        Task task = new JsonlSpec(f.toString(), null, null).create();
        assertThat(task).isInstanceOf(JsonlTask.class);
        assertThat(task.heldOut()).isEmpty();
        assertThat(new JsonlSpec(f.toString(), f.toString(), 0.1).problems())
                .containsExactly(
                        "task.heldOutFraction: give either task.heldOutPath or task.heldOutFraction, not both");
        assertThat(new JsonlSpec(null, null, null).problems()).containsExactly("task.path: required for task 'jsonl'");
        assertThatThrownBy(() -> new JsonlSpec(dir.resolve("nope.jsonl").toString(), null, null).create())
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("nope.jsonl");
    }

    @Test
    void rejectsAnUnknownTaskNamingTheKnownOnes() {
        assertThatThrownBy(() -> JSON.readValue("{\"name\":\"multiplication\"}", TaskSpec.class))
                .isInstanceOf(InvalidTypeIdException.class)
                .hasMessageContaining("'multiplication'")
                .hasMessageContaining("addition")
                .hasMessageContaining("reverse")
                .hasMessageContaining("jsonl");
    }

    @Test
    void rejectsParametersOfAnotherTask() {
        assertThatThrownBy(() -> JSON.readValue("{\"name\":\"addition\",\"path\":\"x.jsonl\"}", TaskSpec.class))
                .isInstanceOf(UnrecognizedPropertyException.class)
                .hasMessageContaining("\"path\"");
    }

    @Test
    void boundsEverySizeBeforeAnyWorkIsDone() {
        assertThat(new AdditionSpec(1, 2, 3_000_000).problems())
                .containsExactly("task.heldOutSize: must be between 0 and 10000, got 3000000");
        assertThat(new AdditionSpec(3, 2, null).problems())
                .containsExactly("task.minDigits: 3 exceeds task.maxDigits 2");
        assertThat(new AdditionSpec(0, 19, null).problems())
                .containsExactly(
                        "task.minDigits: must be between 1 and 18, got 0",
                        "task.maxDigits: must be between 1 and 18, got 19");
        assertThat(new ReverseSpec(1, 17, -1).problems())
                .containsExactly(
                        "task.maxLength: must be between 1 and 16, got 17",
                        "task.heldOutSize: must be between 0 and 10000, got -1");
        assertThat(new JsonlSpec("d.jsonl", null, 0.9).problems())
                .containsExactly("task.heldOutFraction: must be in [0, 0.5], got 0.9");
        assertThatThrownBy(() -> new AdditionSpec(1, 2, 3_000_000).create())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("heldOutSize");
    }
}
