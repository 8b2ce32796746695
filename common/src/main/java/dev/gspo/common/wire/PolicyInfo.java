package dev.gspo.common.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
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
 * @param baseSha256 SHA-256 of the base weights the served version is built on: the last full push (equal to
 *                   {@code sha256} when no adapter is applied); an adapter push must name it
 * @param adapter    the LoRA adapter merged into the served weights ({@code PUT /v1/policy/adapter}), or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolicyInfo(
        long version,
        String sha256,
        String modelType,
        long parameters,
        String loadedAt,
        int vocabSize,
        Map<String, Object> config,
        String baseSha256,
        Adapter adapter) {

    /**
     * A served LoRA adapter.
     *
     * @param sha256  SHA-256 of the pushed adapter body
     * @param rank    r
     * @param alpha   α (the update is scaled by α / r)
     * @param targets the adapted layers (PEFT module names)
     * @param bytes   the size of the pushed adapter body
     */
    public record Adapter(String sha256, int rank, double alpha, java.util.List<String> targets, long bytes) {}

    /** A version built from a full push (no adapter): its base is itself. */
    public PolicyInfo(
            long version,
            String sha256,
            String modelType,
            long parameters,
            String loadedAt,
            int vocabSize,
            Map<String, Object> config) {
        this(version, sha256, modelType, parameters, loadedAt, vocabSize, config, sha256, null);
    }
}
