package dev.gspo.rollout.adapters;

import dev.gspo.common.replica.RejectedWeightsException;
import dev.gspo.common.wire.AdapterInfo;
import dev.gspo.common.wire.AdapterList;
import dev.gspo.rollout.validation.InvalidRequestException;
import dev.gspo.rollout.weights.PushAuthorizer;
import dev.gspo.rollout.weights.PushHeaders;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /v1/adapters}: the named LoRA adapters served beside the base model, each with its own version ({@link
 * AdapterRegistry}). Pushes and deletes need the push token.
 */
@RestController
class AdapterController {
    private static final Logger log = LoggerFactory.getLogger(AdapterController.class);

    private final AdapterRegistry adapters;
    private final PushAuthorizer authorizer;
    /** One adapter body read and installed at a time; adapters are small, so a second push waits for its turn. */
    private final ReentrantLock pushes = new ReentrantLock(true);

    AdapterController(AdapterRegistry adapters, PushAuthorizer authorizer) {
        this.adapters = adapters;
        this.authorizer = authorizer;
    }

    @GetMapping(path = "/v1/adapters", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "The named adapters served now (name, version, rank, alpha, targets, sha256, bytes)")
    @ApiResponse(responseCode = "200", description = "the adapters, by name, and the limit")
    @ApiResponse(responseCode = "401", description = "an API key is configured and no bearer token was sent")
    @ApiResponse(responseCode = "403", description = "the bearer token is not the API key")
    AdapterList list() {
        return new AdapterList(adapters.list(), adapters.maxAdapters());
    }

    @GetMapping(path = "/v1/adapters/{name}", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "One named adapter")
    @ApiResponse(responseCode = "200", description = "the adapter's served version")
    @ApiResponse(responseCode = "400", description = "not an adapter name")
    @ApiResponse(responseCode = "401", description = "an API key is configured and no bearer token was sent")
    @ApiResponse(responseCode = "403", description = "the bearer token is not the API key")
    @ApiResponse(responseCode = "404", description = "no adapter of that name is loaded (reason: unknown_adapter)")
    AdapterInfo get(
            @Parameter(description = "the adapter's name", schema = @Schema(pattern = "^" + AdapterName.PATTERN + "$"))
                    @PathVariable
                    String name) {
        AdapterName.check("name", name);
        return adapters.get(name).orElseThrow(() -> AdapterProblem.unknown(name));
    }

    /**
     * Body: a LoRA adapter as for {@code PUT /v1/policy/adapter} (safetensors, PEFT's tensor names, F32, the LoRA
     * config in {@code __metadata__}). Checked in order: token, name, headers, version (of this adapter) and the
     * limit, size, checksum, framing and metadata, base, content. Any failure keeps the previous version served.
     */
    @PutMapping(
            path = "/v1/adapters/{name}",
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
            summary = "Load or replace a named LoRA adapter, served beside the base model (rows of every adapter share "
                    + "one decode batch), if the pushed version is ahead of that adapter's served one")
    @ApiResponse(responseCode = "200", description = "the adapter's new served version")
    @ApiResponse(
            responseCode = "400",
            description = "not an adapter name, a missing or malformed header, or a body whose checksum, framing or "
                    + "LoRA metadata is wrong (reason)")
    @ApiResponse(responseCode = "401", description = "no bearer token")
    @ApiResponse(responseCode = "403", description = "the bearer token is not the push token")
    @ApiResponse(
            responseCode = "409",
            description = "the version is not ahead of the adapter's served one (reason: stale_version, policyVersion "
                    + "names it), a new name beyond gspo.rollout.max-adapters (reason: too_many_adapters, maxAdapters),"
                    + " or the adapter was trained on other base weights than the replica serves (reason: "
                    + "base_mismatch)")
    @ApiResponse(responseCode = "413", description = "the body is larger than gspo.rollout.max-weights-bytes")
    @ApiResponse(responseCode = "415", description = "the body is not application/octet-stream")
    @ApiResponse(
            responseCode = "422",
            description = "an adapter that does not fit the served model: tensor names, shapes, rank, targets, dtypes "
                    + "(F32 only), finite values (reason: incompatible)")
    AdapterInfo push(
            @Parameter(description = "the adapter's name", schema = @Schema(pattern = "^" + AdapterName.PATTERN + "$"))
                    @PathVariable
                    String name,
            @Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false)
                    String authorization,
            @Parameter(
                            required = true,
                            description = "the pushed version of this adapter; must be ahead of its served one",
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
                            description = "SHA-256 of the base weights the adapter was trained on: the served "
                                    + "weights (sha256 of GET /v1/policy)",
                            schema = @Schema(type = "string", pattern = "^[0-9a-fA-F]{64}$"))
                    @RequestHeader(name = PushHeaders.BASE_SHA256, required = false)
                    String baseSha256,
            HttpServletRequest request)
            throws IOException {
        authorizer.check(authorization);
        AdapterName.check("name", name);
        PushHeaders headers = PushHeaders.parse(version, sha256);
        String base = PushHeaders.baseSha256(baseSha256);
        adapters.precheck(name, headers.version());
        pushes.lock();
        try {
            byte[] body = read(request);
            AdapterInfo info = adapters.install(name, headers, base, body);
            log.info(
                    "serving adapter '{}' version {} (rank {}, {} bytes, sha256 {})",
                    name,
                    info.version(),
                    info.rank(),
                    info.bytes(),
                    info.sha256());
            return info;
        } catch (RejectedWeightsException e) {
            log.warn("rejected push of adapter '{}' version {}: {}", name, headers.version(), e.getMessage());
            throw e;
        } finally {
            pushes.unlock();
        }
    }

    @DeleteMapping(path = "/v1/adapters/{name}")
    @Operation(summary = "Unload a named adapter; requests already decoding with it finish on it")
    @ApiResponse(responseCode = "204", description = "unloaded")
    @ApiResponse(responseCode = "400", description = "not an adapter name")
    @ApiResponse(responseCode = "401", description = "no bearer token")
    @ApiResponse(responseCode = "403", description = "the bearer token is not the push token")
    @ApiResponse(responseCode = "404", description = "no adapter of that name is loaded (reason: unknown_adapter)")
    ResponseEntity<Void> delete(
            @Parameter(description = "the adapter's name", schema = @Schema(pattern = "^" + AdapterName.PATTERN + "$"))
                    @PathVariable
                    String name,
            @Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false)
                    String authorization) {
        authorizer.check(authorization);
        AdapterName.check("name", name);
        AdapterInfo removed = adapters.delete(name);
        log.info("unloaded adapter '{}' version {}", name, removed.version());
        return ResponseEntity.noContent().build();
    }

    /** The body, capped by the size filter ({@code gspo.rollout.max-weights-bytes}); a broken connection is a 400. */
    private static byte[] read(HttpServletRequest request) throws IOException {
        var in = request.getInputStream(); // opened first: the size filter refuses a declared length over the limit
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw InvalidRequestException.badRequest(
                    "body", "the body could not be read: the connection was closed or timed out");
        }
    }
}
