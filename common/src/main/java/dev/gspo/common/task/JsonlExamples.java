package dev.gspo.common.task;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.json.JsonPosition;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a JSONL dataset: one JSON object per line, {@code {"prompt": "...", "answer": "..."}},
 * optionally {@code "id"}; other fields are ignored; blank lines are skipped.
 *
 * <p>Every problem is reported as {@link IllegalArgumentException} naming the file and the
 * 1-based line number, so a bad row in a large file is found at once. Messages say what is wrong,
 * never what the line holds (the file may not be a dataset at all). Rejected: invalid JSON, a
 * non-object, a missing or empty prompt, a missing answer or one that is not a string or number,
 * an answer containing the stop marker (a newline: it could never be generated), an answer that
 * {@linkplain NormalizedExactMatchReward#normalize normalises} to nothing (an empty completion
 * would score 1), a file without any example. The default id is {@code <file name>:<line>}.
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
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (!line.isBlank()) {
                    examples.add(parse(line, fileName + ":" + lineNumber, file, lineNumber));
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
            throw error(file, lineNumber, "expected a JSON object with \"prompt\" and \"answer\"");
        }
        JsonNode prompt = node.get("prompt");
        if (prompt == null || !prompt.isTextual() || prompt.asText().isEmpty()) {
            throw error(file, lineNumber, "\"prompt\" must be a non-empty string");
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
        return new TaskExample(idText, prompt.asText(), answerText);
    }

    private static IllegalArgumentException error(Path file, int lineNumber, String message) {
        return new IllegalArgumentException(file + ": line " + lineNumber + ": " + message);
    }
}
