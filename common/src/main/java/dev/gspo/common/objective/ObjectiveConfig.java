package dev.gspo.common.objective;

import java.util.Objects;

/**
 * Configuration of {@link PolicyObjective}.
 *
 * @param mode           which surrogate ({@code gspo}, {@code gspo-token}, {@code grpo})
 * @param clip           asymmetric clip range (ε_low, ε_high) for the importance ratio
 * @param klBeta         weight β of the k3 KL penalty to the reference policy; 0 = off (default)
 * @param logRatioClamp  C: every log-ratio is clamped to [−C, C] before {@code exp} (default
 *                       {@value #DEFAULT_LOG_RATIO_CLAMP}; e^20 ≈ 4.9e8 still fits float32
 *                       comfortably after multiplying by an advantage). Outside the clamp the
 *                       gradient through that log-ratio is 0.
 * @param tisCap         C_TIS of truncated importance sampling against the rollout's log-probs
 *                       ({@link TruncatedImportance}): each sequence (GSPO, GSPO-token) or token (GRPO)
 *                       term is weighted by min(π_old / π_rollout, C_TIS); 0 = off (default), else
 *                       ≥ 1. Needs {@link PolicyBatch#behaviourLogprobs()}
 */
public record ObjectiveConfig(LossMode mode, ClipRange clip, double klBeta, double logRatioClamp, double tisCap) {

    /** Default C for the log-ratio clamp, see docs/ALGORITHM.md §3 and §12 ("exp overflow"). */
    public static final double DEFAULT_LOG_RATIO_CLAMP = 20.0;

    public ObjectiveConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(clip, "clip");
        if (!(klBeta >= 0 && Double.isFinite(klBeta))) {
            throw new IllegalArgumentException("klBeta must be finite and >= 0, got " + klBeta);
        }
        if (!(logRatioClamp > 0 && Double.isFinite(logRatioClamp))) {
            throw new IllegalArgumentException("logRatioClamp must be finite and > 0, got " + logRatioClamp);
        }
        if (!(tisCap == 0 || (tisCap >= 1 && Double.isFinite(tisCap)))) {
            throw new IllegalArgumentException("tisCap must be 0 (off) or finite and >= 1, got " + tisCap);
        }
    }

    /** A config without truncated importance sampling. */
    public ObjectiveConfig(LossMode mode, ClipRange clip, double klBeta, double logRatioClamp) {
        this(mode, clip, klBeta, logRatioClamp, 0);
    }

    /** The paper's defaults for {@code mode}: its clip preset, no KL penalty, clamp ±20. */
    public static ObjectiveConfig defaults(LossMode mode) {
        return new ObjectiveConfig(mode, mode.paperClipRange(), 0.0, DEFAULT_LOG_RATIO_CLAMP);
    }

    public ObjectiveConfig withClip(ClipRange newClip) {
        return new ObjectiveConfig(mode, newClip, klBeta, logRatioClamp, tisCap);
    }

    public ObjectiveConfig withKlBeta(double beta) {
        return new ObjectiveConfig(mode, clip, beta, logRatioClamp, tisCap);
    }

    public ObjectiveConfig withLogRatioClamp(double c) {
        return new ObjectiveConfig(mode, clip, klBeta, c, tisCap);
    }

    /** The same with truncated importance sampling capped at {@code cap} (0 = off). */
    public ObjectiveConfig withTisCap(double cap) {
        return new ObjectiveConfig(mode, clip, klBeta, logRatioClamp, cap);
    }

    /** True when truncated importance sampling is on. */
    public boolean tis() {
        return tisCap > 0;
    }
}
