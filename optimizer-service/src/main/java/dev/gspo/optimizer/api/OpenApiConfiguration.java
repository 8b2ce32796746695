package dev.gspo.optimizer.api;

import dev.gspo.common.reward.RewardSpec;
import dev.gspo.common.task.TaskSpec;
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
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;

/**
 * The published contract ({@code /v3/api-docs}, OpenAPI 3.0): title and version, the bearer schemes of
 * {@link RequestGuardFilter}, and the RFC 9457 problem document as the body of every 4xx and 5xx answer of every
 * operation. The operations' own codes are declared on {@link RunController}; {@code OpenApiContractIT} checks real
 * answers against this document, so it cannot drift from what the service does.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {
    /** {@code gspo.optimizer.control-token}: mutations (start, stop). */
    static final String CONTROL_TOKEN = "controlToken";
    /** {@code gspo.optimizer.read-token}: reads, when one is configured. */
    static final String READ_TOKEN = "readToken";

    static final String PROBLEM = "Problem";
    private static final String PROBLEM_JSON = "application/problem+json";

    @Bean
    OpenAPI optimizerOpenApi() {
        return new OpenAPI()
                .info(new Info()
                        .title("gspo optimizer-service")
                        .version("v1")
                        .description("Runs GSPO training: start a run with its config (POST /v1/runs), follow it "
                                + "(GET /v1/runs, /v1/runs/{id}, /v1/runs/{id}/metrics), stop it "
                                + "(POST /v1/runs/{id}/stop) and resume it from its checkpoint "
                                + "(POST /v1/runs with resumeFrom). At most one run is active at a time. Mutations "
                                + "need the control token when one is configured, reads the read token (or the "
                                + "control token) when one is configured. Every error is an RFC 9457 "
                                + "application/problem+json document whose detail names the offending field or value."))
                .components(new Components()
                        .addSecuritySchemes(
                                CONTROL_TOKEN,
                                bearer("The control token, gspo.optimizer.control-token (env "
                                        + "GSPO_OPTIMIZER_CONTROL_TOKEN): Authorization: Bearer <token>. Needed by "
                                        + "every mutation when configured; without one, mutations are open."))
                        .addSecuritySchemes(
                                READ_TOKEN,
                                bearer("The read token, gspo.optimizer.read-token (env GSPO_OPTIMIZER_READ_TOKEN): "
                                        + "needed by reads when configured (the control token is accepted too); "
                                        + "without one, reads are open.")));
    }

    /**
     * Security per operation (mutations: the control token; reads: none, the read token or the control token) and the
     * problem document on every error answer, a 500 included.
     */
    @Bean
    OpenApiCustomizer problemsAndSecurity() {
        return api -> {
            // here, not on the OpenAPI bean: springdoc drops the bean's schemas that no operation refers to yet
            api.getComponents().addSchemas(PROBLEM, problemSchema());
            api.getComponents().getSchemas().remove("ProblemDetail"); // Spring's class, replaced by Problem
            TypedUnionSchemas.flatten(api.getComponents().getSchemas(), TaskSpec.class);
            TypedUnionSchemas.flatten(api.getComponents().getSchemas(), RewardSpec.class);
            measuredOrNull(api.getComponents().getSchemas().get("StepMetrics"));
            if (api.getPaths() == null) {
                return;
            }
            api.getPaths().values().forEach(item -> item.readOperationsMap().forEach((method, op) -> {
                op.setSecurity(
                        method == PathItem.HttpMethod.GET
                                ? List.of(
                                        new SecurityRequirement(),
                                        new SecurityRequirement().addList(READ_TOKEN),
                                        new SecurityRequirement().addList(CONTROL_TOKEN))
                                : List.of(new SecurityRequirement().addList(CONTROL_TOKEN)));
                withProblems(op, "an unexpected error; the optimizer's log has the details");
            }));
        };
    }

    /**
     * A step's diagnostics are numbers or null: null when not measured (no held-out evaluation at this step, the
     * expert-change share of a dense model); JSON has no NaN.
     */
    @SuppressWarnings("rawtypes")
    private static void measuredOrNull(Schema metrics) {
        if (metrics == null || metrics.getProperties() == null) {
            return;
        }
        for (Object p : metrics.getProperties().values()) {
            Schema property = (Schema) p;
            if ("number".equals(property.getType())) {
                property.setNullable(true);
                if (property.getDescription() == null) {
                    property.setDescription("null when not measured at this step");
                }
            }
        }
    }

    /** Adds a 500 and gives every 4xx/5xx response of the operation the problem document as its body. */
    static void withProblems(Operation op, String internalError) {
        ApiResponses responses = op.getResponses() == null ? new ApiResponses() : op.getResponses();
        responses.computeIfAbsent("500", code -> new ApiResponse().description(internalError));
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

    /** RFC 9457 §3.1 members, plus {@code errors}: one "field: problem" per problem of a refused run config. */
    @SuppressWarnings("rawtypes")
    private static Schema problemSchema() {
        Map<String, Schema> properties = new java.util.LinkedHashMap<>();
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
                new StringSchema().description("what is wrong with this request, naming the field, value or position"));
        properties.put("instance", new StringSchema().format("uri-reference").description("the request path"));
        properties.put(
                "errors",
                new ArraySchema()
                        .items(new StringSchema())
                        .description("a refused run config: every problem at once, each as \"field: problem\""));
        ObjectSchema problem = new ObjectSchema();
        problem.setProperties(properties);
        problem.setRequired(List.of("title", "status", "detail"));
        problem.setDescription("An RFC 9457 problem document (application/problem+json).");
        return problem;
    }
}
