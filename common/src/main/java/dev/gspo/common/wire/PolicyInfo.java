package dev.gspo.common.wire;

import java.util.Map;

/**
 * {@code GET /v1/policy}: what a replica serves.
 *
 * @param version    the policy version (0 for the model loaded at start-up; then whatever pushes set)
 * @param sha256     lower-case hex SHA-256 of the served {@code model.safetensors} bytes
 * @param modelType  HF {@code model_type}, e.g. {@code llama}
 * @param parameters number of weights
 * @param loadedAt   ISO-8601 instant at which this version started serving
 * @param vocabSize  the model's vocabulary size ({@code vocab_size})
 * @param config     the served model's {@code config.json} as Hugging Face writes it (every tensor's shape follows
 *                   from it): the optimizer checks a run's model against it before the run starts
 */
public record PolicyInfo(
        long version,
        String sha256,
        String modelType,
        long parameters,
        String loadedAt,
        int vocabSize,
        Map<String, Object> config) {}
