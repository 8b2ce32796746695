package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * {@code "warmStart"}: supervised steps on the task's demonstrations before GSPO, optionally stopped early once the
 * policy reaches a target accuracy (a seed-robust starting point for GSPO).
 *
 * <pre>
 *   for s = 1 … steps:
 *     one supervised step at lr_s = learningRate · (1 − 0.9 · (s − 1) / steps)
 *     if targetAccuracy is set and s mod checkEvery = 0:
 *       acc_s ← greedy accuracy on a fixed sample of checkSize training prompts (drawn once from the run seed)
 *       stop if acc_s ≥ targetAccuracy
 * </pre>
 *
 * @param steps          the most supervised steps (default 0: none); without {@code targetAccuracy}, exactly these
 * @param batchSize      demonstrations per step (default 64, at most 4096)
 * @param learningRate   the first step's learning rate, decayed linearly to 10% over {@code steps} (default 3e-3)
 * @param targetAccuracy stop the warm start once the greedy accuracy on the check sample is at least this, in (0, 1]
 *                       (default: absent, no early stop)
 * @param checkEvery     supervised steps between two accuracy checks (default 50, 1..100000); only with a target
 * @param checkSize      training prompts in the fixed check sample (default 256, 1..4096); only with a target
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WarmStartSpec(
        @Schema(
                description = "supervised steps on the task's demonstrations before GSPO; 0 = none",
                defaultValue = "0",
                minimum = "0",
                maximum = "1000000")
        Integer steps,

        @Schema(description = "demonstrations per step", defaultValue = "64", minimum = "1", maximum = "4096")
        Integer batchSize,

        @Schema(
                description = "the first step's learning rate, decayed linearly to 10%",
                defaultValue = "3e-3",
                minimum = "0",
                exclusiveMinimum = true,
                maximum = "1")
        Double learningRate,

        @Schema(
                description = "stop the warm start at the first check whose greedy accuracy on the check sample is at "
                        + "least this; absent = no early stop",
                minimum = "0",
                exclusiveMinimum = true,
                maximum = "1")
        Double targetAccuracy,

        @Schema(
                description = "supervised steps between two accuracy checks (with a target)",
                defaultValue = "50",
                minimum = "1",
                maximum = "100000")
        Integer checkEvery,

        @Schema(
                description = "training prompts in the fixed check sample (with a target)",
                defaultValue = "256",
                minimum = "1",
                maximum = "4096")
        Integer checkSize) {

    /** The canonical constructor is the one JSON binds to. */
    @JsonCreator
    public WarmStartSpec {}

    /** A warm start of {@code steps} supervised steps without an early stop. */
    public WarmStartSpec(Integer steps, Integer batchSize, Double learningRate) {
        this(steps, batchSize, learningRate, null, null, null);
    }

    WarmStartSpec withDefaults() {
        return new WarmStartSpec(
                Checks.or(steps, 0),
                Checks.or(batchSize, 64),
                Checks.or(learningRate, 3e-3),
                targetAccuracy,
                Checks.or(checkEvery, 50),
                Checks.or(checkSize, 256));
    }

    /** True when the warm start stops early at {@link #targetAccuracy}. */
    public boolean hasTarget() {
        return targetAccuracy != null;
    }

    void validate(List<String> p) {
        Checks.between(p, "warmStart.steps", steps, 0, 1_000_000);
        Checks.between(p, "warmStart.batchSize", batchSize, 1, 4096);
        Checks.range(p, "warmStart.learningRate", learningRate, 0, 1, false);
        Checks.range(p, "warmStart.targetAccuracy", targetAccuracy, 0, 1, false);
        Checks.between(p, "warmStart.checkEvery", checkEvery, 1, 100_000);
        Checks.between(p, "warmStart.checkSize", checkSize, 1, 4096);
    }
}
