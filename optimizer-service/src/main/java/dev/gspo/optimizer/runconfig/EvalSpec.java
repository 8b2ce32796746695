package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * {@code "eval"}: held-out greedy accuracy.
 *
 * @param every measured every this many steps, and always before the first and after the last step (default 5)
 * @param size  held-out problems per measurement; 0 = no evaluation (default 200, at most 100,000)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvalSpec(
        @Schema(
                description =
                        "held-out greedy accuracy every this many steps, and always before the first and after the last step",
                defaultValue = "5",
                minimum = "1",
                maximum = "1000000")
        Integer every,

        @Schema(
                description = "held-out problems per measurement; 0 = no evaluation",
                defaultValue = "200",
                minimum = "0",
                maximum = "100000")
        Integer size) {

    EvalSpec withDefaults() {
        return new EvalSpec(Checks.or(every, 5), Checks.or(size, 200));
    }

    void validate(List<String> p) {
        Checks.between(p, "eval.every", every, 1, 1_000_000);
        Checks.between(p, "eval.size", size, 0, 100_000);
    }
}
