package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.common.objective.ClipRange;
import dev.gspo.common.objective.LossMode;
import dev.gspo.common.train.OldLogprobs;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * {@code "objective"}: the policy loss (docs/ALGORITHM.md).
 *
 * @param lossMode             {@code gspo} | {@code gspo-token} | {@code grpo} (default gspo)
 * @param clipLow              ε_low; default the paper's preset of the loss mode (GSPO 3e-4, GRPO 0.2)
 * @param clipHigh             ε_high; default GSPO 4e-4, GRPO 0.27
 * @param oldLogprobs          {@code rollout} (the replica's log-probs are π_old) | {@code recompute} (default rollout)
 * @param klBeta               β of the k3 KL penalty to the policy the GSPO phase started from; 0 = off (default)
 * @param scaleAdvantagesByStd divide the group-centred reward by the group's std (default true)
 * @param routingReplay        MoE models only: π_θ's forwards use the experts π_old routed each token to (default
 *                             false; refused for a dense model)
 * @param maskTruncated        leave truncated responses ({@code finishReason} {@code length}: cut at
 *                             {@code sampling.maxNewTokens} before an EOS or a stop string) out of the loss, as TRL's
 *                             {@code mask_truncated_completions} (default false). Their rewards still count in their
 *                             group's mean and std; their tokens get mask 0, so they add nothing to the loss, its
 *                             gradient or the token counts it is averaged over
 * @param tisCap               truncated importance sampling (Yao et al. 2025): weigh each sequence (gspo,
 *                             gspo-token) or token (grpo) by min(π_old / π_rollout, tisCap), π_old the trainer's own
 *                             log-probs; absent = off (default), else in [1, 1000]. Needs {@code oldLogprobs}
 *                             {@code recompute}, which is then its default (docs/ALGORITHM.md §9.1)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ObjectiveSpec(
        @Schema(
                description = "the policy loss: gspo (sequence-level ratio and clipping), gspo-token, grpo",
                defaultValue = "gspo")
        LossMode lossMode,

        @Schema(
                description = "ε_low, in (0, 1); default the loss mode's preset (GSPO 3e-4, GRPO 0.2)",
                minimum = "0",
                exclusiveMinimum = true,
                maximum = "1",
                exclusiveMaximum = true)
        Double clipLow,

        @Schema(
                description = "ε_high, in (0, 100]; default the loss mode's preset (GSPO 4e-4, GRPO 0.27)",
                minimum = "0",
                exclusiveMinimum = true,
                maximum = "100")
        Double clipHigh,

        @Schema(
                description = "π_old: rollout (the replica's log-probs) or recompute (the trainer's)",
                defaultValue = "rollout")
        OldLogprobs oldLogprobs,

        @Schema(
                description = "β of the k3 KL penalty to the policy the GSPO phase started from; 0 = off",
                defaultValue = "0",
                minimum = "0",
                maximum = "100")
        Double klBeta,

        @Schema(description = "divide the group-centred reward by the group's std", defaultValue = "true")
        Boolean scaleAdvantagesByStd,

        @Schema(
                description = "MoE models only: π_θ's forwards use the experts π_old routed each token to "
                        + "(refused for a dense model)",
                defaultValue = "false")
        Boolean routingReplay,

        @Schema(
                description = "leave truncated responses (finishReason length) out of the loss, as TRL's "
                        + "mask_truncated_completions; their rewards still count in their group's mean and std",
                defaultValue = "false")
        Boolean maskTruncated,

        @Schema(
                description = "truncated importance sampling: weigh each sequence (gspo, gspo-token) or token (grpo) "
                        + "by min(π_old / π_rollout, tisCap) with π_old the trainer's own log-probs; absent = off; "
                        + "needs oldLogprobs recompute (then its default)",
                minimum = "1",
                maximum = "1000")
        Double tisCap) {

    /** The largest {@code tisCap}. */
    public static final double MAX_TIS_CAP = 1000;

    /** A spec that leaves {@code maskTruncated} to its default. */
    public ObjectiveSpec(
            LossMode lossMode,
            Double clipLow,
            Double clipHigh,
            OldLogprobs oldLogprobs,
            Double klBeta,
            Boolean scaleAdvantagesByStd,
            Boolean routingReplay) {
        this(lossMode, clipLow, clipHigh, oldLogprobs, klBeta, scaleAdvantagesByStd, routingReplay, null, null);
    }

    /** A spec without truncated importance sampling. */
    public ObjectiveSpec(
            LossMode lossMode,
            Double clipLow,
            Double clipHigh,
            OldLogprobs oldLogprobs,
            Double klBeta,
            Boolean scaleAdvantagesByStd,
            Boolean routingReplay,
            Boolean maskTruncated) {
        this(
                lossMode,
                clipLow,
                clipHigh,
                oldLogprobs,
                klBeta,
                scaleAdvantagesByStd,
                routingReplay,
                maskTruncated,
                null);
    }

    ObjectiveSpec withDefaults() {
        LossMode mode = Checks.or(lossMode, LossMode.GSPO);
        ClipRange preset = mode.paperClipRange();
        return new ObjectiveSpec(
                mode,
                Checks.or(clipLow, preset.low()),
                Checks.or(clipHigh, preset.high()),
                // with a TIS cap π_old is the trainer's own (the weight brings the rollout's in)
                Checks.or(oldLogprobs, tisCap != null ? OldLogprobs.RECOMPUTE : OldLogprobs.ROLLOUT),
                Checks.or(klBeta, 0.0),
                Checks.or(scaleAdvantagesByStd, true),
                Checks.or(routingReplay, false),
                Checks.or(maskTruncated, false),
                tisCap);
    }

    void validate(List<String> p) {
        if (clipLow != null && (!Double.isFinite(clipLow) || clipLow <= 0 || clipLow >= 1)) {
            // ε_low = 1 would put the lower clip bound at a ratio of 0 (ClipRange refuses it)
            p.add("objective.clipLow: must be in (0, 1), got " + clipLow);
        }
        Checks.range(p, "objective.clipHigh", clipHigh, 0, 100, false);
        Checks.range(p, "objective.klBeta", klBeta, 0, 100, true);
        Checks.range(p, "objective.tisCap", tisCap, 1, MAX_TIS_CAP, true);
        if (tisCap != null && oldLogprobs == OldLogprobs.ROLLOUT) {
            p.add("objective.tisCap: needs objective.oldLogprobs recompute (the ratio's π_old is then the trainer's "
                    + "own log-probs and the weight min(π_old / π_rollout, " + tisCap + ") brings in the rollout's; "
                    + "with rollout log-probs as π_old the ratio already divides by them), got oldLogprobs rollout");
        }
    }

    /** C_TIS for the objective: 0 when truncated importance sampling is off. */
    public double tisCapOrOff() {
        return tisCap == null ? 0 : tisCap;
    }

    /** The clip range [1 − ε_low, 1 + ε_high] of a spec with defaults applied. */
    public ClipRange clipRange() {
        return new ClipRange(clipLow, clipHigh);
    }
}
