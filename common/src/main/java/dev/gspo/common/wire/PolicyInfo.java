package dev.gspo.common.wire;

/**
 * {@code GET /v1/policy}: what a replica serves.
 *
 * @param version    the policy version (0 for the model loaded at start-up; then whatever pushes set)
 * @param sha256     lower-case hex SHA-256 of the served {@code model.safetensors} bytes
 * @param modelType  HF {@code model_type}, e.g. {@code llama}
 * @param parameters number of weights
 * @param loadedAt   ISO-8601 instant at which this version started serving
 */
public record PolicyInfo(long version, String sha256, String modelType, long parameters, String loadedAt) {}
