package dev.gspo.common.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.testing.ChatGoldens;
import dev.gspo.common.testing.Qwen3Tokenizer;
import dev.gspo.common.tokenizer.PolicyTokenizer;
import dev.gspo.common.tokenizer.TokenizerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Qwen3's real chat template (from its tokenizer_config.json) renders every conversation of
 * {@code reference/chat/qwen3-conversations.json} byte for byte as @huggingface/jinja does (and, checked when the file
 * was written, as Python's jinja2 does), and the rendering encodes to the ids transformers.js gives: each special
 * token a single id. Goldens: {@code scripts/reference/chat-templates/render_chat_templates.mjs}.
 */
class ChatTemplateGoldenTest {
    private static ChatTemplate template;
    private static PolicyTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        template = ChatTemplate.of(TokenizerConfig.read(Qwen3Tokenizer.directory()))
                .orElseThrow(() -> new AssertionError("Qwen3's tokenizer_config.json has no chat template"));
        tokenizer = PolicyTokenizer.load(Qwen3Tokenizer.directory());
    }

    @AfterAll
    static void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    static Stream<Arguments> conversations() {
        List<JsonNode> cases = ChatGoldens.cases(ChatGoldens.QWEN3_CONVERSATIONS);
        assertThat(cases).hasSizeGreaterThanOrEqualTo(10);
        return cases.stream().map(c -> Arguments.of(c.path("name").asText(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conversations")
    void rendersLikeTheReferenceByteForByte(String name, JsonNode c) {
        List<ChatMessage> messages = ChatGoldens.messages(c);
        Map<String, Object> extra = c.has("enableThinking")
                ? Map.of("enable_thinking", c.path("enableThinking").asBoolean())
                : Map.of();

        String rendered =
                template.render(messages, c.path("addGenerationPrompt").asBoolean(), extra);

        String expected = c.path("expected").asText();
        assertThat(rendered).isEqualTo(expected); // readable diff first
        assertThat(rendered.getBytes(StandardCharsets.UTF_8)).isEqualTo(expected.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conversations")
    void renderingEncodesToTheReferenceIdsWithSpecialTokensWhole(String name, JsonNode c) {
        int[] expected = new ObjectMapper().convertValue(c.path("expectedIds"), int[].class);

        int[] ids = tokenizer.encode(c.path("expected").asText());

        assertThat(ids).isEqualTo(expected);
        long turns = c.path("expected").asText().split("<\\|im_start\\|>", -1).length - 1;
        assertThat(java.util.Arrays.stream(ids).filter(id -> id == 151644).count())
                .as("one <|im_start|> id per turn")
                .isEqualTo(turns);
    }
}
