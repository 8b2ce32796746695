package dev.gspo.common.task;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.chat.ChatMessage;
import dev.gspo.common.json.JsonPosition;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a JSONL dataset: one JSON object per line, blank lines skipped, in one of two formats (one per file):
 * <ul>
 *   <li>text: {@code {"prompt": "...", "answer": "..."}};</li>
 *   <li>chat: {@code {"messages": [{"role": "system", "content": "..."}, {"role": "user", "content": "..."}],
 *       "answer": "..."}} (the OpenAI / Hugging Face chat format; the model's chat template renders the messages
 *       with the generation prompt, see {@link ModelPrompt}).</li>
 * </ul>
 * Both may carry {@code "id"} and a {@code "metadata"} object (kept with the example); other fields are ignored.
 *
 * <p>Every problem is reported as {@link IllegalArgumentException} naming the file, the 1-based line number and
 * the field, never the line's content, so a bad row in a large file is found at once without leaking data into
 * logs or API responses. Rejected: invalid JSON, a non-object, both or neither of prompt and messages, a line in the
 * other format than the file's first example, an empty prompt, messages that are not a non-empty list of
 * {@code {role, content}} objects with a non-empty string role and a string content, a metadata that is not an
 * object, a missing answer or one that is not a string or number, an answer containing the stop marker (a
 * newline: it could never be generated), an answer that {@linkplain NormalizedExactMatchReward#normalize
 * normalises} to nothing (an empty completion would score 1), a file without any example. The default id is
 * {@code <file name>:<line>}.
 */
final class JsonlExamples {

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonlExamples() {}

    static List<TaskExample> read(Path file) throws IOException {
        List<TaskExample> examples = new ArrayList<>();
        String fileName = String.valueOf(file.getFileName());
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNumber = 0;
            int firstLine = 0;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (!line.isBlank()) {
                    TaskExample example = parse(line, fileName + ":" + lineNumber, file, lineNumber);
                    if (examples.isEmpty()) {
                        firstLine = lineNumber;
                    } else if (example.isChat() != examples.getFirst().isChat()) {
                        throw error(
                                file,
                                lineNumber,
                                (example.isChat() ? "\"messages\"" : "\"prompt\"") + " in a file whose first example"
                                        + " (line " + firstLine + ") has "
                                        + (example.isChat() ? "\"prompt\"" : "\"messages\"")
                                        + ": use one format per file");
                    }
                    examples.add(example);
                }
            }
        }
        if (examples.isEmpty()) {
            throw new IllegalArgumentException(file + ": no examples (expected one JSON object per line)");
        }
        return List.copyOf(examples);
    }

    private static TaskExample parse(String line, String defaultId, Path file, int lineNumber) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JacksonException e) {
            throw error(file, lineNumber, "invalid JSON" + JsonPosition.of(e));
        }
        if (node == null || !node.isObject()) {
            throw error(file, lineNumber, "expected a JSON object with \"prompt\" or \"messages\", and \"answer\"");
        }
        JsonNode prompt = node.get("prompt");
        JsonNode messages = node.get("messages");
        if (prompt != null && messages != null) {
            throw error(file, lineNumber, "give either \"prompt\" or \"messages\", not both");
        }
        List<ChatMessage> conversation = List.of();
        if (messages != null) {
            conversation = messages(messages, file, lineNumber);
        } else if (prompt == null || !prompt.isTextual() || prompt.asText().isEmpty()) {
            throw error(file, lineNumber, "\"prompt\" must be a non-empty string (or give \"messages\")");
        }
        JsonNode metadata = node.get("metadata");
        if (metadata != null && !metadata.isObject()) {
            throw error(file, lineNumber, "\"metadata\" must be a JSON object");
        }
        JsonNode answer = node.get("answer");
        if (answer == null || !(answer.isTextual() || answer.isNumber())) {
            throw error(file, lineNumber, "\"answer\" must be a string or a number");
        }
        String answerText = answer.asText();
        if (answerText.contains(Task.STOP)) {
            throw error(file, lineNumber, "\"answer\" contains a newline, the stop marker");
        }
        if (NormalizedExactMatchReward.normalize(answerText).isEmpty()) {
            throw error(file, lineNumber, "\"answer\" is empty after normalisation");
        }
        JsonNode id = node.get("id");
        String idText = id == null || id.isNull() ? defaultId : id.asText();
        Map<String, Object> meta = metadata == null ? Map.of() : JSON.convertValue(metadata, MAP);
        return conversation.isEmpty()
                ? new TaskExample(idText, prompt.asText(), answerText, List.of(), meta)
                : TaskExample.chat(idText, conversation, answerText, meta);
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>> MAP =
            new com.fasterxml.jackson.core.type.TypeReference<>() {};

    /** {@code "messages"}: a non-empty list of {@code {"role": non-empty string, "content": string}}. */
    private static List<ChatMessage> messages(JsonNode messages, Path file, int lineNumber) {
        if (!messages.isArray() || messages.isEmpty()) {
            throw error(file, lineNumber, "\"messages\" must be a non-empty list of {\"role\", \"content\"} objects");
        }
        List<ChatMessage> out = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String at = "\"messages\"[" + i + "]";
            if (!m.isObject()) {
                throw error(file, lineNumber, at + " must be an object with \"role\" and \"content\"");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || role.asText().isBlank()) {
                throw error(file, lineNumber, at + ".\"role\" must be a non-empty string");
            }
            JsonNode content = m.get("content");
            if (content == null || !content.isTextual()) {
                throw error(
                        file,
                        lineNumber,
                        at + ".\"content\" must be a string"
                                + (content != null && content.isArray()
                                        ? " (lists of content parts are not supported)"
                                        : ""));
            }
            out.add(new ChatMessage(role.asText(), content.asText()));
        }
        return out;
    }

    private static IllegalArgumentException error(Path file, int lineNumber, String message) {
        return new IllegalArgumentException(file + ": line " + lineNumber + ": " + message);
    }
}
