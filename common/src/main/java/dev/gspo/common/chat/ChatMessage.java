package dev.gspo.common.chat;

import java.util.Objects;

/**
 * One turn of a conversation, as in the OpenAI / Hugging Face chat format: {@code {"role": "user", "content": "…"}}.
 *
 * @param role    who speaks: {@code system}, {@code user}, {@code assistant} or {@code tool} (others are passed to
 *                the template as they are; the template decides what it accepts)
 * @param content the text of the turn (may be empty)
 */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
