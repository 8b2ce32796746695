package dev.gspo.rollout.weights;

import dev.gspo.common.wire.PolicyInfo;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
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
    PolicyInfo policy() {
        return registry.current().info();
    }

    @GetMapping(path = "/v1/policy/weights", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
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
    PolicyInfo push(
            @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String authorization,
            @RequestHeader(name = PushHeaders.VERSION, required = false) String version,
            @RequestHeader(name = PushHeaders.SHA256, required = false) String sha256,
            HttpServletRequest request)
            throws IOException {
        authorizer.check(authorization);
        PushHeaders headers = PushHeaders.parse(version, sha256);
        registry.requireNewer(headers.version());
        gate.enter();
        try {
            return updater.install(headers, PushBody.read(request));
        } finally {
            gate.leave();
        }
    }
}
