package dev.gspo.common.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * What a checkpoint records besides the weights and the optimizer moments ({@code trainer_state.json}).
 *
 * @param step          the last completed training step (resume continues at step + 1)
 * @param policyVersion the version the weights were published as
 * @param optimizerStep AdamW's own step count (bias correction)
 * @param config        the run configuration as JSON, so a resumed run trains the same way
 * @param seed          the run's seed; per-step randomness is derived from (seed, step), so no RNG state is needed
 * @param files         SHA-256 of every other file in the checkpoint, verified on load
 * @param loraBase      for a LoRA checkpoint (adapters only): the frozen base model it adapts; null otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainerState(
        String runId,
        long step,
        long policyVersion,
        long optimizerStep,
        long seed,
        JsonNode config,
        Map<String, String> files,
        LoraBase loraBase) {

    /**
     * The base model of a LoRA checkpoint.
     *
     * @param dir    the Hugging Face model directory holding the base weights
     * @param sha256 SHA-256 of the base weights as published ({@code PolicyModel.weightsAsSafetensors()}: F32
     *               safetensors in the architecture's order), checked before a resume uses the base
     */
    public record LoraBase(String dir, String sha256) {}

    public TrainerState {
        files = files == null ? Map.of() : Map.copyOf(files);
    }

    /** A full-weight checkpoint's state. */
    public TrainerState(
            String runId,
            long step,
            long policyVersion,
            long optimizerStep,
            long seed,
            JsonNode config,
            Map<String, String> files) {
        this(runId, step, policyVersion, optimizerStep, seed, config, files, null);
    }

    public TrainerState withFiles(Map<String, String> checksums) {
        return new TrainerState(runId, step, policyVersion, optimizerStep, seed, config, checksums, loraBase);
    }

    public TrainerState withLoraBase(LoraBase base) {
        return new TrainerState(runId, step, policyVersion, optimizerStep, seed, config, files, base);
    }
}
