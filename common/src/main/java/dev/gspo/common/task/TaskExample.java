package dev.gspo.common.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.chat.ChatMessage;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One problem of a task: a text prompt, or a chat conversation that the model's chat template turns into one
 * ({@link ModelPrompt#text} gives the text the policy sees either way).
 *
 * @param id       identifies the problem, not the draw: two draws of the same problem share an id
 *                 (e.g. {@code addition:12+34}); make ids unique per request yourself if needed
 * @param prompt   the text the policy continues, e.g. {@code "12+34="}; for a chat example the messages as compact
 *                 JSON, which identifies the problem (held-out split, duplicates) but is never shown to the model
 * @param answer   the reference answer without the stop marker, e.g. {@code "46"}
 * @param messages the conversation of a chat example ({@code {role, content}} turns, OpenAI / HF chat format); empty
 *                 for a text example
 * @param metadata free-form data of the example (a dataset line's {@code "metadata"} object); empty when none
 */
public record TaskExample(
        String id, String prompt, String answer, List<ChatMessage> messages, Map<String, Object> metadata) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public TaskExample {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(answer, "answer");
        messages = messages == null ? List.of() : List.copyOf(messages);
        metadata = metadata == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** A text example. */
    public TaskExample(String id, String prompt, String answer) {
        this(id, prompt, answer, List.of(), Map.of());
    }

    /** A chat example; its {@link #prompt} is the messages as compact JSON. */
    public static TaskExample chat(String id, List<ChatMessage> messages, String answer, Map<String, Object> metadata) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a chat example needs at least one message");
        }
        try {
            return new TaskExample(id, JSON.writeValueAsString(messages), answer, messages, metadata);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether this is a chat conversation (rendered through the model's chat template) rather than a text prompt. */
    public boolean isChat() {
        return !messages.isEmpty();
    }
}
