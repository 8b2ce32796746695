package dev.gspo.common.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TasksTest {

    @Test
    void createsBuiltinTasksWithDefaults() {
        assertThat(Tasks.names()).containsExactly("addition", "reverse", "jsonl");
        AdditionTask addition = (AdditionTask) Tasks.create("addition", null);
        assertThat(addition.minDigits()).isEqualTo(1);
        assertThat(addition.maxDigits()).isEqualTo(2);
        assertThat(addition.heldOut()).hasSize(Tasks.DEFAULT_HELD_OUT_SIZE);
        ReverseTask reverse = (ReverseTask) Tasks.create("reverse", Map.of());
        assertThat(reverse.minLength()).isEqualTo(3);
        assertThat(reverse.maxLength()).isEqualTo(5);
    }

    @Test
    void acceptsNumbersAndStringsAsParameters() {
        AdditionTask a =
                (AdditionTask) Tasks.create("addition", Map.of("minDigits", 2, "maxDigits", "4", "heldOutSize", 10.0));
        assertThat(a.minDigits()).isEqualTo(2);
        assertThat(a.maxDigits()).isEqualTo(4);
        assertThat(a.heldOut()).hasSize(10);
    }

    @Test
    void createsAJsonlTask(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("d.jsonl"), "{\"prompt\": \"p\", \"answer\": \"a\"}\n");
        Task task = Tasks.create("jsonl", Map.of("path", f.toString()));
        assertThat(task).isInstanceOf(JsonlTask.class);
        assertThat(task.heldOut()).isEmpty();
        assertThatThrownBy(() -> Tasks.create(
                        "jsonl", Map.of("path", f.toString(), "heldOutPath", f.toString(), "heldOutFraction", 0.1)))
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> Tasks.create("jsonl", Map.of())).hasMessageContaining("'path' is required");
        assertThatThrownBy(() -> Tasks.create(
                        "jsonl", Map.of("path", dir.resolve("nope.jsonl").toString())))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("nope.jsonl");
    }

    @Test
    void rejectsAnUnknownTaskNamingTheKnownOnes() {
        assertThatThrownBy(() -> Tasks.create("multiplication", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'multiplication'")
                .hasMessageContaining("addition")
                .hasMessageContaining("reverse")
                .hasMessageContaining("jsonl");
        assertThatThrownBy(() -> Tasks.create(null, Map.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsUnknownAndMalformedParameters() {
        assertThatThrownBy(() -> Tasks.create("addition", Map.of("digits", 3)))
                .hasMessageContaining("[digits]")
                .hasMessageContaining("maxDigits");
        assertThatThrownBy(() -> Tasks.create("addition", Map.of("maxDigits", "three")))
                .hasMessageContaining("'maxDigits'")
                .hasMessageContaining("three");
        assertThatThrownBy(() -> Tasks.create("addition", Map.of("maxDigits", 2.5)))
                .hasMessageContaining("2.5");
    }
}
