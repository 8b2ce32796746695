package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * {@code "warmStart"}: supervised steps on the task's demonstrations before GSPO.
 *
 * @param steps        supervised steps (default 0: none)
 * @param batchSize    demonstrations per step (default 64, at most 4096)
 * @param learningRate the first step's learning rate, decayed linearly to 10% (default 3e-3)
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
        Double learningRate) {

    WarmStartSpec withDefaults() {
        return new WarmStartSpec(Checks.or(steps, 0), Checks.or(batchSize, 64), Checks.or(learningRate, 3e-3));
    }

    void validate(List<String> p) {
        Checks.between(p, "warmStart.steps", steps, 0, 1_000_000);
        Checks.between(p, "warmStart.batchSize", batchSize, 1, 4096);
        Checks.range(p, "warmStart.learningRate", learningRate, 0, 1, false);
    }
}
