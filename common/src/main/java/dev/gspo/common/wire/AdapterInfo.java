package dev.gspo.common.wire;

import java.util.List;

/**
 * A named LoRA adapter a replica serves beside its base model ({@code GET /v1/adapters/{name}}, the answer of
 * {@code PUT /v1/adapters/{name}}).
 *
 * @param name        the adapter's name (what {@code RolloutRequest.adapter} names)
 * @param version     its version: versions of one adapter only move forward
 * @param rank        r
 * @param alpha       α; the low-rank term is scaled by α / r
 * @param targets     the adapted linear layers (PEFT module names)
 * @param sha256      lower-case hex SHA-256 of the pushed adapter body
 * @param bytes       size of the pushed adapter body
 * @param baseSha256  SHA-256 of the base weights it was pushed for (the served {@code sha256} of {@code GET /v1/policy})
 * @param loadedAt    ISO-8601 instant at which this version started serving
 * @param memoryBytes native memory the replica holds for it (its A and B matrices, float32)
 */
public record AdapterInfo(
        String name,
        long version,
        int rank,
        double alpha,
        List<String> targets,
        String sha256,
        long bytes,
        String baseSha256,
        String loadedAt,
        long memoryBytes) {}
