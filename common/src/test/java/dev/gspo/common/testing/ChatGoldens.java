package dev.gspo.common.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.chat.ChatMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The golden chat-template renderings of {@code scripts/reference/chat-templates} (checked-in JSON under
 * {@code reference/chat/}): Qwen3 conversations rendered by @huggingface/jinja, features rendered by Python's jinja2.
 */
public final class ChatGoldens {
    public static final String QWEN3_CONVERSATIONS = "/reference/chat/qwen3-conversations.json";
    public static final String TEMPLATE_FEATURES = "/reference/chat/template-features.json";

    private ChatGoldens() {}

    /** The {@code cases} of a golden file. */
    public static List<JsonNode> cases(String resource) {
        try (InputStream in = ChatGoldens.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError("no test resource " + resource);
            }
            List<JsonNode> out = new ArrayList<>();
            new ObjectMapper().readTree(in).path("cases").forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Qwen3 conversation named {@code name}. */
    public static JsonNode qwen3(String name) {
        return cases(QWEN3_CONVERSATIONS).stream()
                .filter(c -> c.path("name").asText().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no golden conversation " + name));
    }

    /** A case's {@code messages}. */
    public static List<ChatMessage> messages(JsonNode golden) {
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : golden.path("messages")) {
            out.add(new ChatMessage(m.path("role").asText(), m.path("content").asText()));
        }
        return out;
    }
}
