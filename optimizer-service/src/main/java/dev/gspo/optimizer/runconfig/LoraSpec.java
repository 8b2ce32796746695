package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraTarget;
import dev.gspo.common.model.ModelConfig;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code "lora"}: train low-rank adapters instead of every weight ({@link LoraConfig}): each targeted linear layer
 * computes {@code W x + (α/r)·B (A x)}, W frozen, A and B trained. Absent: full fine-tuning. A warm start, if any, still
 * trains the full model (it makes the base the adapters start from).
 *
 * <p><b>Learning rate.</b> LoRA needs a larger one than full fine-tuning: about 10× (Schulman et al., "LoRA Without
 * Regret", 2025: the optimal LoRA rate is ~10× the full fine-tuning rate, nearly independent of the rank with the α/r
 * scaling), so {@code optimizer.learningRate} should be raised with it; it is not changed for you.
 *
 * @param rank    r (default 8; at least 1, at most the smaller width of every targeted layer)
 * @param alpha   α; the update is scaled by α / r (default 32, as in LoRA Without Regret)
 * @param targets the adapted layers by PEFT module name (default: all of q_proj, k_proj, v_proj, o_proj, gate_proj,
 *                up_proj, down_proj; the experts of MoE layers are never adapted)
 * @param adapter the name to serve the adapter under on the fleet ({@code PUT /v1/adapters/{name}}, rollouts with
 *                {@code "adapter": name}), so that several runs share one fleet, each with its own adapter over the
 *                same base; absent: the replicas serve this run's adapter merged into their weights
 *                ({@code PUT /v1/policy/adapter}), one run per fleet
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(
        description = "train LoRA adapters (W x + (α/r)·B(A x), W frozen) instead of every weight; absent: full "
                + "fine-tuning. Raise optimizer.learningRate about 10× for LoRA (LoRA Without Regret, 2025)")
public record LoraSpec(
        @Schema(
                description = "the rank r; at most the smaller width of every targeted layer",
                defaultValue = "8",
                minimum = "1",
                maximum = "4096")
        Integer rank,

        @Schema(
                description = "α: the adapters' update is scaled by α / r",
                defaultValue = "32",
                minimum = "0",
                exclusiveMinimum = true,
                maximum = "1000000")
        Double alpha,

        @ArraySchema(
                arraySchema =
                        @Schema(
                                description = "the adapted linear layers by PEFT module name (default: all "
                                        + "seven; MoE experts are never adapted)"),
                schema =
                        @Schema(
                                allowableValues = {
                                    "q_proj",
                                    "k_proj",
                                    "v_proj",
                                    "o_proj",
                                    "gate_proj",
                                    "up_proj",
                                    "down_proj"
                                }),
                minItems = 1,
                uniqueItems = true)
        List<String> targets,

        @Schema(
                description = "serve the adapter on the fleet under this name (PUT /v1/adapters/{name}), beside other "
                        + "runs' adapters over the same base; absent: served merged into the replicas' weights, one "
                        + "run per fleet",
                pattern = "^" + LoraSpec.ADAPTER_NAME + "$")
        String adapter) {

    /** What a replica accepts as an adapter name. */
    public static final String ADAPTER_NAME = "[a-z0-9][a-z0-9._-]{0,62}";

    public LoraSpec(Integer rank, Double alpha, List<String> targets) {
        this(rank, alpha, targets, null);
    }

    LoraSpec withDefaults() {
        return new LoraSpec(
                Checks.or(rank, 8), Checks.or(alpha, 32.0), Checks.or(targets, LoraConfig.DEFAULT_TARGETS), adapter);
    }

    void validate(List<String> p) {
        if (adapter != null && !adapter.matches(ADAPTER_NAME)) {
            p.add("lora.adapter: '" + adapter + "' is not an adapter name: 1 to 63 characters of a-z, 0-9, '.', '_',"
                    + " '-', starting with a letter or digit");
        }
        Checks.between(p, "lora.rank", rank, 1, 4096);
        Checks.range(p, "lora.alpha", alpha, 0, 1e6, false);
        if (targets != null) {
            if (targets.isEmpty()) {
                p.add("lora.targets: must name at least one of " + LoraTarget.moduleNames());
            }
            Set<String> seen = new HashSet<>();
            for (String t : targets) {
                if (t == null || !LoraTarget.moduleNames().contains(t)) {
                    p.add("lora.targets: unknown target '" + t + "'; known: " + LoraTarget.moduleNames());
                } else if (!seen.add(t)) {
                    p.add("lora.targets: '" + t + "' is named twice");
                }
            }
        }
    }

    /** Problems of a valid spec against the model it would adapt: a rank wider than a targeted layer. */
    public List<String> fitProblems(ModelConfig model) {
        return toLoraConfig().problems(model).stream()
                .map(m -> m.startsWith("rank ") ? "lora.rank: " + m : "lora: " + m)
                .toList();
    }

    /** The spec of a config with defaults applied, as the model's LoRA config. */
    public LoraConfig toLoraConfig() {
        return new LoraConfig(rank, alpha, targets);
    }
}
