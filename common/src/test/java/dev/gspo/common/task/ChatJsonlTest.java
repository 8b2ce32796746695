package dev.gspo.common.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.common.chat.ChatMessage;
import dev.gspo.common.chat.ChatTemplate;
import dev.gspo.common.testing.ChatGoldens;
import dev.gspo.common.testing.Qwen3Tokenizer;
import dev.gspo.common.tokenizer.TokenizerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jsonl task's chat format: {"messages": [...], "answer": ..., "metadata": {...}} lines. */
class ChatJsonlTest {
    private static final String SECRET = "patientRecord4711"; // one JSON token: a parser message would quote it whole

    @TempDir
    Path dir;

    private Path file(String name, String... lines) throws IOException {
        return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
    }

    @Test
    void readsConversationsWithAnswersAndMetadata() throws IOException {
        Path f = file(
                "chat.jsonl",
                "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                        + " {\"role\": \"user\", \"content\": \"2+2?\"}], \"answer\": 4,"
                        + " \"metadata\": {\"source\": \"gsm\", \"level\": 1, \"tags\": [\"a\"]}}",
                "{\"id\": \"q2\", \"messages\": [{\"role\": \"user\", \"content\": \"Capital of France?\"}],"
                        + " \"answer\": \"Paris\"}");

        JsonlTask task = JsonlTask.load(f, 0.0);

        assertThat(task.usesChatMessages()).isTrue();
        TaskExample first = task.training().getFirst();
        assertThat(first.isChat()).isTrue();
        assertThat(first.id()).isEqualTo("chat.jsonl:1");
        assertThat(first.messages()).containsExactly(ChatMessage.system("Be brief."), ChatMessage.user("2+2?"));
        assertThat(first.answer()).isEqualTo("4");
        assertThat(first.metadata())
                .containsEntry("source", "gsm")
                .containsEntry("level", 1)
                .containsEntry("tags", List.of("a"));
        assertThat(task.training().get(1).id()).isEqualTo("q2");
        assertThat(task.training().get(1).metadata()).isEmpty();
        assertThat(task.reward(first, "4\n")).isEqualTo(1.0);
    }

    @Test
    void aTextDatasetDoesNotUseChatMessages() throws IOException {
        JsonlTask task = JsonlTask.load(file("qa.jsonl", "{\"prompt\": \"p\", \"answer\": \"a\"}"), 0.0);
        assertThat(task.usesChatMessages()).isFalse();
        assertThat(ModelPrompt.text(task.training().getFirst(), Optional.empty()))
                .isEqualTo("p");
    }

    @Test
    void namesTheLineAndTheFieldOfABadChatRowWithoutEchoingItsContent() throws IOException {
        String good = "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}], \"answer\": \"a\"}";
        String user = "{\"role\": \"user\", \"content\": \"" + SECRET + "\"}";
        assertLineError(file("a.jsonl", good, "{\"messages\": [], \"answer\": \"a\"}"), 2, "\"messages\" must be");
        assertLineError(file("b.jsonl", "{\"messages\": \"" + SECRET + "\", \"answer\": \"a\"}"), 1, "non-empty list");
        assertLineError(
                file("c.jsonl", "{\"messages\": [\"" + SECRET + "\"], \"answer\": \"a\"}"), 1, "\"messages\"[0]");
        assertLineError(
                file("d.jsonl", "{\"messages\": [" + user + ", {\"content\": \"" + SECRET + "\"}], \"answer\": \"a\"}"),
                1,
                "\"messages\"[1].\"role\"");
        assertLineError(
                file("e.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": 5}], \"answer\": \"a\"}"),
                1,
                "\"messages\"[0].\"content\" must be a string");
        assertLineError(
                file(
                        "f.jsonl",
                        "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\"}]}], \"answer\": 1}"),
                1,
                "content parts are not supported");
        assertLineError(
                file("g.jsonl", "{\"prompt\": \"" + SECRET + "\", \"messages\": [" + user + "], \"answer\": \"a\"}"),
                1,
                "not both");
        assertLineError(
                file("h.jsonl", "{\"messages\": [" + user + "], \"answer\": \"a\", \"metadata\": 3}"),
                1,
                "\"metadata\"");
        assertLineError(file("i.jsonl", "{\"messages\": [" + user + "]}"), 1, "\"answer\"");
        assertLineError(
                file("j.jsonl", good, "", "{\"prompt\": \"" + SECRET + "\", \"answer\": \"a\"}"),
                3,
                "one format per file");
        assertLineError(
                file("k.jsonl", "{\"messages\": [" + user + "], \"answer\": " + SECRET + "}"),
                1,
                "invalid JSON (line 1, column");
        assertLineError(
                file("l.jsonl", "{\"messages\": [" + user + "], \"answer\": \"a\\n" + SECRET + "\"}"), 1, "newline");
    }

    private static void assertLineError(Path f, int line, String detail) {
        assertThatThrownBy(() -> JsonlTask.load(f, 0.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f.getFileName() + ": line " + line + ": ")
                .hasMessageContaining(detail)
                .message()
                .doesNotContain(SECRET);
    }

    @Test
    void aChatHeldOutFileForATextDatasetIsRefused() throws IOException {
        Path text = file("text.jsonl", "{\"prompt\": \"p\", \"answer\": \"a\"}");
        Path chat = file("chat.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}], \"answer\": \"a\"}");
        assertThatThrownBy(() -> JsonlTask.load(text, chat)).hasMessageContaining("same format");
    }

    @Test
    void aChatExampleIsRenderedThroughTheChatTemplateWithTheGenerationPrompt() throws IOException {
        ChatTemplate qwen3 = ChatTemplate.of(TokenizerConfig.read(Qwen3Tokenizer.directory()))
                .orElseThrow();
        JsonNode golden = ChatGoldens.qwen3("system-user-generation-prompt");
        TaskExample example = TaskExample.chat("x", ChatGoldens.messages(golden), "56", Map.of());

        assertThat(ModelPrompt.text(example, Optional.of(qwen3)))
                .isEqualTo(golden.path("expected").asText());
        assertThatThrownBy(() -> ModelPrompt.text(example, Optional.empty()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no chat template");
    }

    @Test
    void aChatDatasetForAModelWithoutATemplateIsAProblemNamingBoth() throws IOException {
        JsonlTask chat = JsonlTask.load(
                file("chat.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}], \"answer\": \"a\"}"),
                0.0);
        JsonlTask text = JsonlTask.load(file("text.jsonl", "{\"prompt\": \"p\", \"answer\": \"a\"}"), 0.0);
        ChatTemplate any = ChatTemplate.of("{{ messages[0].content }}", Map.of());

        assertThat(ModelPrompt.chatProblem(chat, "task.path 'chat.jsonl'", "model.source 'builtin'", Optional.empty()))
                .hasValueSatisfying(p ->
                        assertThat(p).contains("task.path 'chat.jsonl'", "model.source 'builtin'", "no chat template"));
        assertThat(ModelPrompt.chatProblem(chat, "t", "m", Optional.of(any))).isEmpty();
        assertThat(ModelPrompt.chatProblem(text, "t", "m", Optional.empty())).isEmpty();
    }
}
