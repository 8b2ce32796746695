package dev.gspo.rollout.api;

import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /v1/rollouts}: prompts × groupSize samples with their log-probs, from one policy version. */
@RestController
class RolloutController {
    private final RolloutService service;

    RolloutController(RolloutService service) {
        this.service = service;
    }

    @PostMapping(
            path = "/v1/rollouts",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Sample groupSize completions per prompt, with their log-probs, from one policy version")
    @ApiResponse(responseCode = "200", description = "the groups, in request order")
    @ApiResponse(
            responseCode = "400",
            description = "malformed JSON, an unknown field, a wrong type or a value out of its range (errors)")
    @ApiResponse(responseCode = "401", description = "an API key is configured and no bearer token was sent")
    @ApiResponse(responseCode = "403", description = "the bearer token is not the API key")
    @ApiResponse(
            responseCode = "404",
            description = "adapter names no adapter loaded on this replica (reason: unknown_adapter)")
    @ApiResponse(
            responseCode = "409",
            description = "minPolicyVersion is ahead of the served version, of the named adapter when there is one "
                    + "(policyVersion names it)")
    @ApiResponse(responseCode = "413", description = "the body is larger than gspo.rollout.max-request-bytes")
    @ApiResponse(responseCode = "415", description = "the body is not application/json")
    @ApiResponse(responseCode = "422", description = "a prompt that does not fit the served model (errors)")
    @ApiResponse(
            responseCode = "503",
            description = "the decode queue is full or the request timed out; retry after Retry-After seconds")
    RolloutResponse rollouts(@RequestBody RolloutRequest request) {
        return service.rollout(request);
    }
}
