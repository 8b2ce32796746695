package dev.gspo.common.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.testing.ChatGoldens;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each Jinja construct HF chat templates rely on (and each shim of {@link JinjaShims}) renders as Python's jinja2
 * renders it when configured as transformers configures it. Goldens:
 * {@code scripts/reference/chat-templates/render_template_features.py}.
 */
class ChatTemplateFeaturesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() {
        return ChatGoldens.cases(ChatGoldens.TEMPLATE_FEATURES).stream()
                .map(c -> Arguments.of(c.path("name").asText(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersAsPythonsJinja2(String name, JsonNode c) {
        ChatTemplate template = ChatTemplate.of(c.path("template").asText(), Map.of());
        Map<String, Object> context = JSON.convertValue(c.path("context"), new TypeReference<>() {});

        if (c.has("error")) {
            assertThatThrownBy(() -> template.renderContext(context))
                    .isInstanceOf(ChatTemplateException.class)
                    .hasMessageContaining(c.path("error").asText());
        } else {
            assertThat(template.renderContext(context))
                    .isEqualTo(c.path("expected").asText());
        }
    }
}
