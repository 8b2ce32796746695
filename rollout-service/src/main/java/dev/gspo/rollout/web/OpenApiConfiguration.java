package dev.gspo.rollout.web;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The title of the generated OpenAPI document ({@code /v3/api-docs}). */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {
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
