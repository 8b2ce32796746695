package dev.gspo.rollout.weights;

import dev.gspo.common.replica.PushStages;
import dev.gspo.common.wire.PolicyInfo;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** {@code /v1/policy}: what is served, its bytes, and replacing it. */
@RestController
class PolicyController {
    private final PolicyRegistry registry;
    private final PushAuthorizer authorizer;
    private final WeightUpdater updater;
    private final PushGate gate;

    PolicyController(PolicyRegistry registry, PushAuthorizer authorizer, WeightUpdater updater, PushGate gate) {
        this.registry = registry;
        this.authorizer = authorizer;
        this.updater = updater;
        this.gate = gate;
    }

    @GetMapping(path = "/v1/policy", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "The served policy: version, checksum, model type")
    @ApiResponse(responseCode = "200", description = "the served policy")
    @ApiResponse(responseCode = "401", description = "an API key is configured and no bearer token was sent")
    @ApiResponse(responseCode = "403", description = "the bearer token is not the API key")
    PolicyInfo policy() {
        return registry.current().info();
    }

    @GetMapping(path = "/v1/policy/weights", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    @Operation(summary = "The served model.safetensors bytes")
    @ApiResponse(
            responseCode = "200",
            description = "the served weights",
            headers = {
                @Header(
                        name = PushHeaders.VERSION,
                        description = "the served policy version",
                        schema = @Schema(type = "integer", format = "int64")),
                @Header(
                        name = PushHeaders.SHA256,
                        description = "lower-case hex SHA-256 of the body",
                        schema = @Schema(type = "string")),
                @Header(name = "ETag", description = "the quoted SHA-256", schema = @Schema(type = "string"))
            },
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
                            schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "401", description = "an API key is configured and no bearer token was sent")
    @ApiResponse(responseCode = "403", description = "the bearer token is not the API key")
    ResponseEntity<byte[]> weights() {
        ServedPolicy p = registry.current();
        return ResponseEntity.ok()
                .header(PushHeaders.VERSION, Long.toString(p.version()))
                .header(PushHeaders.SHA256, p.sha256())
                .eTag('"' + p.sha256() + '"')
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .body(p.safetensors());
    }

    /**
     * Body: the safetensors bytes. Checked in order: token, headers, version, no other push in flight, size (the body
     * stream is capped by {@code gspo.rollout.max-weights-bytes}), checksum, content.
     */
    @PutMapping(
            path = "/v1/policy",
            consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @io.swagger.v3.oas.annotations.parameters.RequestBody(
            required = true,
            description = "model.safetensors bytes (F32)",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
                            schema = @Schema(type = "string", format = "binary")))
    @Operation(summary = "Replace the served policy (hot swap), if the pushed version is ahead of the served one")
    @ApiResponse(responseCode = "200", description = "the new served policy")
    @ApiResponse(
            responseCode = "400",
            description = "a missing or malformed header, or a body whose checksum or framing is wrong (reason)")
    @ApiResponse(responseCode = "401", description = "no bearer token")
    @ApiResponse(responseCode = "403", description = "the bearer token is not the push token")
    @ApiResponse(
            responseCode = "409",
            description = "the version is not ahead of the served one (policyVersion names it), another push "
                    + "is in flight (Retry-After), or named adapters are loaded (reason: adapters_loaded, adapters "
                    + "names them: they were trained on the served weights; DELETE /v1/adapters/{name} first)")
    @ApiResponse(responseCode = "413", description = "the body is larger than gspo.rollout.max-weights-bytes")
    @ApiResponse(responseCode = "415", description = "the body is not application/octet-stream")
    @ApiResponse(
            responseCode = "422",
            description = "tensors that do not fit the served model: names, shapes, dtypes (F32 only), finite "
                    + "values (reason: incompatible)")
    PolicyInfo push(
            @Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false)
                    String authorization,
            @Parameter(
                            required = true,
                            description = "the pushed policy version; must be ahead of the served one",
                            schema = @Schema(type = "integer", format = "int64", minimum = "0"))
                    @RequestHeader(name = PushHeaders.VERSION, required = false)
                    String version,
            @Parameter(
                            required = true,
                            description = "lower-case hex SHA-256 of the body",
                            schema = @Schema(type = "string", pattern = "^[0-9a-fA-F]{64}$"))
                    @RequestHeader(name = PushHeaders.SHA256, required = false)
                    String sha256,
            HttpServletRequest request)
            throws IOException {
        authorizer.check(authorization);
        PushHeaders headers = PushHeaders.parse(version, sha256);
        registry.requireNewer(headers.version());
        registry.checkBaseChange(); // 409 adapters_loaded while named adapters are served, before the body is read
        gate.enter();
        try {
            PushStages stages = new PushStages();
            try (PushBody.Received body = PushBody.receive(request, stages)) { // hashed as it arrives
                return updater.install(headers, body, stages);
            }
        } finally {
            gate.leave();
        }
    }

    /**
     * Body: a LoRA adapter as safetensors (PEFT's tensor names, F32; {@code __metadata__}: {@code peft_type} LORA,
     * {@code r}, {@code lora_alpha}, {@code target_modules} comma-separated). The replica keeps the base weights of its
     * last full push and serves base + (α/r)·B A as the new version. Checked in order: token, headers, version, no
     * other push in flight, size, checksum, framing and metadata, base, content.
     */
    @PutMapping(
            path = "/v1/policy/adapter",
            consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @io.swagger.v3.oas.annotations.parameters.RequestBody(
            required = true,
            description = "adapter_model.safetensors bytes (F32, PEFT's tensor names) with the LoRA config in "
                    + "__metadata__ (peft_type LORA, r, lora_alpha, target_modules comma-separated)",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
                            schema = @Schema(type = "string", format = "binary")))
    @Operation(
            summary = "Serve the kept base weights with a LoRA adapter merged in (W + (α/r)·B A) as a new version, if "
                    + "the pushed version is ahead of the served one")
    @ApiResponse(responseCode = "200", description = "the new served policy (adapter names the adapter)")
    @ApiResponse(
            responseCode = "400",
            description = "a missing or malformed header, or a body whose checksum, framing or LoRA metadata is wrong "
                    + "(reason)")
    @ApiResponse(responseCode = "401", description = "no bearer token")
    @ApiResponse(responseCode = "403", description = "the bearer token is not the push token")
    @ApiResponse(
            responseCode = "409",
            description = "the version is not ahead of the served one, another push is in flight (Retry-After), or "
                    + "the adapter was trained on other base weights than this replica keeps (reason: "
                    + "base_mismatch: push the base first), or named adapters are loaded (reason: adapters_loaded)")
    @ApiResponse(responseCode = "413", description = "the body is larger than gspo.rollout.max-weights-bytes")
    @ApiResponse(responseCode = "415", description = "the body is not application/octet-stream")
    @ApiResponse(
            responseCode = "422",
            description = "an adapter that does not fit the served model: tensor names, shapes, rank, targets, dtypes "
                    + "(F32 only), finite values (reason: incompatible)")
    PolicyInfo pushAdapter(
            @Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false)
                    String authorization,
            @Parameter(
                            required = true,
                            description = "the pushed policy version; must be ahead of the served one",
                            schema = @Schema(type = "integer", format = "int64", minimum = "0"))
                    @RequestHeader(name = PushHeaders.VERSION, required = false)
                    String version,
            @Parameter(
                            required = true,
                            description = "lower-case hex SHA-256 of the body",
                            schema = @Schema(type = "string", pattern = "^[0-9a-fA-F]{64}$"))
                    @RequestHeader(name = PushHeaders.SHA256, required = false)
                    String sha256,
            @Parameter(
                            required = true,
                            description = "SHA-256 of the base weights the adapter was trained on: the replica's "
                                    + "last full push (baseSha256 of GET /v1/policy)",
                            schema = @Schema(type = "string", pattern = "^[0-9a-fA-F]{64}$"))
                    @RequestHeader(name = PushHeaders.BASE_SHA256, required = false)
                    String baseSha256,
            HttpServletRequest request)
            throws IOException {
        authorizer.check(authorization);
        PushHeaders headers = PushHeaders.parse(version, sha256);
        String base = PushHeaders.baseSha256(baseSha256);
        registry.requireNewer(headers.version());
        registry.checkBaseChange();
        gate.enter();
        try {
            return updater.installAdapter(headers, base, PushBody.read(request));
        } finally {
            gate.leave();
        }
    }
}
