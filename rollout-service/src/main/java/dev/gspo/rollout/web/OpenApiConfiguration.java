package dev.gspo.rollout.web;

import dev.gspo.common.decode.FinishReason;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Schema;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The title of the generated OpenAPI document ({@code /v3/api-docs}), and what the wire records of {@code common}
 * (which has no OpenAPI annotations) cannot say about themselves: the values of a sample's {@code finishReason}.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {
    @Bean
    OpenApiCustomizer finishReasonValues() {
        return openApi -> {
            if (openApi.getComponents() == null || openApi.getComponents().getSchemas() == null) {
                return;
            }
            Schema<?> sample = openApi.getComponents().getSchemas().get("Sample");
            if (sample == null || sample.getProperties() == null) {
                return;
            }
            @SuppressWarnings("unchecked")
            Schema<String> reason = (Schema<String>) sample.getProperties().get("finishReason");
            if (reason != null) {
                reason.setEnum(java.util.Arrays.stream(FinishReason.values())
                        .map(FinishReason::wireName)
                        .toList());
                reason.setDescription("why the sample ended: eos (the model's end-of-sequence token, the last of "
                        + "tokenIds), stop (one of sampling.stop; its tokens end tokenIds, text stops before it) or "
                        + "length (maxNewTokens reached: a truncated response)");
            }
        };
    }

    @Bean
    OpenAPI rolloutOpenApi() {
        return new OpenAPI()
                .info(new Info()
                        .title("gspo rollout-service")
                        .version("v1")
                        .description(
                                "Serves one policy: grouped samples with log-probs (POST /v1/rollouts), the served "
                                        + "version and its weights (GET /v1/policy, GET /v1/policy/weights), hot swap (PUT /v1/policy). "
                                        + "Errors are RFC 9457 application/problem+json."));
    }
}
