package dev.gspo.rollout.web;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;

/**
 * The published contract ({@code /v3/api-docs}, OpenAPI 3.0): title and version, the bearer schemes ({@link
 * ApiKeyFilter}'s optional API key, the push token of {@code PUT /v1/policy}), the RFC 9457 problem document as the
 * body of every 4xx and 5xx answer, and what the shared wire records ({@code dev.gspo.common.wire}, which carry no
 * OpenAPI annotations) document in their Javadoc: descriptions, defaults, the values of {@code finishReason}. The
 * operations' own codes are declared on the controllers; {@code OpenApiContractIT} checks real answers against this
 * document.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {
    static final String API_KEY = "apiKey";
    static final String PUSH_TOKEN = "pushToken";
    private static final String PROBLEM = "Problem";
    private static final String PROBLEM_JSON = "application/problem+json";

    @Bean
    OpenAPI rolloutOpenApi() {
        return new OpenAPI()
                .info(
                        new Info()
                                .title("gspo rollout-service")
                                .version("v1")
                                .description(
                                        "Serves one policy: grouped samples with log-probs (POST /v1/rollouts), the served "
                                                + "version and its weights (GET /v1/policy, GET /v1/policy/weights), hot swap "
                                                + "(PUT /v1/policy). Every error is an RFC 9457 application/problem+json "
                                                + "document; a request error lists each violation in errors as {field, message}."))
                .components(new Components()
                        .addSecuritySchemes(
                                API_KEY,
                                bearer(
                                        "The optional API key, gspo.rollout.api-key (env GSPO_ROLLOUT_API_KEY): when set, "
                                                + "every request but the health probes needs Authorization: Bearer <api-key> "
                                                + "(401 without it, 403 with a wrong one); without one, requests are open."))
                        .addSecuritySchemes(
                                PUSH_TOKEN,
                                bearer("The push token, gspo.rollout.push-token (env GSPO_ROLLOUT_PUSH_TOKEN): "
                                        + "Authorization: Bearer <push-token> on PUT /v1/policy (401 without it, 403 "
                                        + "with a wrong one); without one configured, pushes are refused.")));
    }

    /** Security per operation, the problem document on every error answer, and the wire records' documentation. */
    @Bean
    OpenApiCustomizer problemsSecurityAndWireDocs() {
        return api -> {
            // here, not on the OpenAPI bean: springdoc drops the bean's schemas that no operation refers to yet
            api.getComponents().addSchemas("Violation", violationSchema()).addSchemas(PROBLEM, problemSchema());
            if (api.getPaths() != null) {
                api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
                    boolean push = method == PathItem.HttpMethod.PUT
                            && (path.equals("/v1/policy") || path.equals("/v1/policy/adapter"));
                    op.setSecurity(
                            push
                                    ? List.of(new SecurityRequirement().addList(PUSH_TOKEN))
                                    : List.of(new SecurityRequirement(), new SecurityRequirement().addList(API_KEY)));
                    withProblems(op);
                }));
            }
            WireDocs.apply(api.getComponents().getSchemas());
        };
    }

    /** Adds a 500 and gives every 4xx/5xx response of the operation the problem document as its body. */
    private static void withProblems(Operation op) {
        ApiResponses responses = op.getResponses() == null ? new ApiResponses() : op.getResponses();
        responses.computeIfAbsent(
                "500", code -> new ApiResponse().description("an unexpected error; the service log has the details"));
        responses.forEach((code, response) -> {
            if (code.matches("[45]\\d\\d")) {
                if (response.getDescription() == null
                        || response.getDescription().isBlank()) {
                    response.setDescription(
                            HttpStatus.valueOf(Integer.parseInt(code)).getReasonPhrase());
                }
                response.setContent(new Content()
                        .addMediaType(
                                PROBLEM_JSON,
                                new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))));
            }
        });
        op.setResponses(responses);
    }

    private static SecurityScheme bearer(String description) {
        return new SecurityScheme()
                .type(SecurityScheme.Type.HTTP)
                .scheme("bearer")
                .description(description);
    }

    @SuppressWarnings("rawtypes")
    private static Schema violationSchema() {
        Map<String, Schema> properties = new LinkedHashMap<>();
        properties.put(
                "field",
                new StringSchema().description("the JSON path (prompts[1].tokenIds[2]), header or body that is wrong"));
        properties.put("message", new StringSchema().description("why, with the limit if one applies"));
        ObjectSchema violation = new ObjectSchema();
        violation.setProperties(properties);
        violation.setRequired(List.of("field", "message"));
        return violation;
    }

    /** RFC 9457 §3.1 members and this service's extensions. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static Schema problemSchema() {
        Map<String, Schema> properties = new LinkedHashMap<>();
        properties.put(
                "type",
                new StringSchema()
                        .format("uri-reference")
                        ._default("about:blank")
                        .description("identifies the kind of problem; absent: about:blank"));
        properties.put("title", new StringSchema().description("short summary of the kind of problem"));
        properties.put("status", new IntegerSchema().description("the HTTP status code"));
        properties.put(
                "detail",
                new StringSchema().description("what is wrong with this request, naming the field, header or value"));
        properties.put("instance", new StringSchema().format("uri-reference").description("the request path"));
        properties.put(
                "errors",
                new ArraySchema()
                        .items(new Schema<>().$ref("#/components/schemas/Violation"))
                        .description("a refused request: every violation"));
        properties.put(
                "policyVersion",
                new IntegerSchema()
                        .format("int64")
                        .description("409: the version this replica serves (behind minPolicyVersion, or not behind "
                                + "a pushed X-Policy-Version)"));
        properties.put(
                "reason",
                new StringSchema()
                        ._enum(List.of(
                                "checksum_mismatch",
                                "malformed",
                                "incompatible",
                                "base_mismatch",
                                "unknown_adapter",
                                "stale_version",
                                "behind",
                                "too_many_adapters",
                                "adapters_loaded"))
                        .description("refused weights: what was wrong with the body (base_mismatch: an adapter "
                                + "trained on other base weights than the replica keeps); named adapters: "
                                + "unknown_adapter, stale_version (a push not ahead of the adapter's version), behind "
                                + "(minPolicyVersion ahead of it), too_many_adapters (gspo.rollout.max-adapters), "
                                + "adapters_loaded (the served weights cannot change while adapters are loaded)"));
        properties.put("adapter", new StringSchema().description("named adapters: the adapter the problem is about"));
        properties.put(
                "adapters",
                new ArraySchema()
                        .items(new StringSchema())
                        .description("adapters_loaded: the named adapters loaded now"));
        properties.put(
                "maxAdapters",
                new IntegerSchema().description("too_many_adapters: the limit gspo.rollout.max-adapters"));
        ObjectSchema problem = new ObjectSchema();
        problem.setProperties(properties);
        problem.setRequired(List.of("title", "status"));
        problem.setDescription("An RFC 9457 problem document (application/problem+json).");
        return problem;
    }
}
