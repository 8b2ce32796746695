package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * {@code "checkpointing"}: when the run writes a checkpoint.
 *
 * @param every a checkpoint every this many steps, and always at the end or on stop; 0 = only then (default 10)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CheckpointSpec(
        @Schema(
                description = "a checkpoint every this many steps, and always at the end or on stop; 0 = only then",
                defaultValue = "10",
                minimum = "0",
                maximum = "1000000")
        Integer every) {

    CheckpointSpec withDefaults() {
        return new CheckpointSpec(Checks.or(every, 10));
    }

    void validate(List<String> p) {
        Checks.between(p, "checkpointing.every", every, 0, 1_000_000);
    }
}
