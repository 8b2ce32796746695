package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * {@code "model"}: the policy a run starts from. {@code "model": "builtin"} is short for
 * {@code "model": {"source": "builtin"}}.
 *
 * @param source {@code builtin} (the project's tiny dense model, created from the run's seed), {@code moe} (the
 *               built-in small qwen3_moe model) or a Hugging Face model directory; default {@code builtin}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelSpec(
        @Schema(
                description = "builtin (the tiny dense model, created from the run's seed), moe (the built-in "
                        + "small qwen3_moe model) or a Hugging Face model directory (in gspo.optimizer.model-dirs); "
                        + "\"model\": \"builtin\" is short for {\"source\": \"builtin\"}",
                defaultValue = "builtin")
        String source) {
    /** The built-in models {@link #source} may name instead of a directory. */
    public static final List<String> BUILTIN = List.of("builtin", "moe");

    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    public ModelSpec {}

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static ModelSpec of(String source) {
        return new ModelSpec(source);
    }

    ModelSpec withDefaults() {
        return new ModelSpec(Checks.or(source, "builtin"));
    }

    void validate(List<String> p) {
        if (source != null && source.isBlank()) {
            p.add("model.source: must be 'builtin', 'moe' or a model directory");
        }
    }

    /** Whether {@link #source} names a built-in model rather than a directory. */
    public boolean builtin() {
        return BUILTIN.contains(source);
    }
}
