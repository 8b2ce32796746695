package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * {@code "sampling"}: what the rollout fleet is asked for each step.
 *
 * @param promptsPerStep prompts per step, each answered {@code groupSize} times (default 16, at most 1024)
 * @param groupSize      G, responses per prompt: the group the advantage is relative to (default 8, 2..256)
 * @param temperature    sampling temperature T (default 1.0, in (0, 10])
 * @param maxNewTokens   longest response in tokens (default 8, at most 4096)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SamplingSpec(
        @Schema(
                description = "prompts per step, each answered groupSize times",
                defaultValue = "16",
                minimum = "1",
                maximum = "1024")
        Integer promptsPerStep,

        @Schema(
                description = "G, responses per prompt: the group the advantage is relative to",
                defaultValue = "8",
                minimum = "2",
                maximum = "256")
        Integer groupSize,

        @Schema(
                description = "sampling temperature T, in (0, 10]",
                defaultValue = "1.0",
                minimum = "0",
                exclusiveMinimum = true,
                maximum = "10")
        Double temperature,

        @Schema(description = "longest response in tokens", defaultValue = "8", minimum = "1", maximum = "4096")
        Integer maxNewTokens) {

    SamplingSpec withDefaults() {
        return new SamplingSpec(
                Checks.or(promptsPerStep, 16),
                Checks.or(groupSize, 8),
                Checks.or(temperature, 1.0),
                Checks.or(maxNewTokens, 8));
    }

    void validate(List<String> p) {
        Checks.between(p, "sampling.promptsPerStep", promptsPerStep, 1, 1024);
        if (groupSize != null && groupSize < 2) {
            p.add("sampling.groupSize: must be ≥ 2 (a group of one has no baseline), got " + groupSize);
        } else {
            Checks.between(p, "sampling.groupSize", groupSize, 2, 256);
        }
        Checks.range(p, "sampling.temperature", temperature, 0, 10, false);
        Checks.between(p, "sampling.maxNewTokens", maxNewTokens, 1, 4096);
    }
}
