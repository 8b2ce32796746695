package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * {@code "optimizer"}: how a step's samples update the policy (AdamW).
 *
 * @param learningRate AdamW's step size during GSPO (default 5e-4, in (0, 1]); with {@code lora}, about 10× the rate
 *                     full fine-tuning would use ({@link LoraSpec})
 * @param miniBatches  gradient updates per rollout batch; the paper uses 4 (default 4, at most 1024 and at most the
 *                     samples of a step)
 * @param maxGradNorm  global gradient-norm clip (default 1.0)
 * @param weightDecay  AdamW's decoupled weight decay (default 0)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OptimizerSpec(
        @Schema(
                description = "AdamW's step size during GSPO, in (0, 1]; with lora, about 10× the full "
                        + "fine-tuning rate (LoRA Without Regret, 2025)",
                defaultValue = "5e-4",
                minimum = "0",
                exclusiveMinimum = true,
                maximum = "1")
        Double learningRate,

        @Schema(
                description = "gradient updates per rollout batch (the paper: 4); at most the samples of a step",
                defaultValue = "4",
                minimum = "1",
                maximum = "1024")
        Integer miniBatches,

        @Schema(
                description = "global gradient-norm clip",
                defaultValue = "1.0",
                minimum = "0",
                exclusiveMinimum = true,
                maximum = "1000000")
        Double maxGradNorm,

        @Schema(description = "AdamW's decoupled weight decay", defaultValue = "0", minimum = "0", maximum = "1")
        Double weightDecay) {

    OptimizerSpec withDefaults() {
        return new OptimizerSpec(
                Checks.or(learningRate, 5e-4),
                Checks.or(miniBatches, 4),
                Checks.or(maxGradNorm, 1.0),
                Checks.or(weightDecay, 0.0));
    }

    void validate(List<String> p) {
        Checks.range(p, "optimizer.learningRate", learningRate, 0, 1, false);
        Checks.between(p, "optimizer.miniBatches", miniBatches, 1, 1024);
        Checks.range(p, "optimizer.maxGradNorm", maxGradNorm, 0, 1e6, false);
        Checks.range(p, "optimizer.weightDecay", weightDecay, 0, 1, true);
    }
}
