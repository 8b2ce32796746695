package dev.gspo.common.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;

/**
 * One of the three clipped surrogates of docs/ALGORITHM.md §4–§6. Each turns the masked batch into the
 * per-sequence objective J_i (shape [B]); {@link PolicyObjective} takes J = mean_i J_i and the
 * loss −J.
 */
interface Surrogate {

    /**
     * @param perSequence J_i, [B], differentiable wrt the new log-probs
     * @param ratio       the importance ratio the clip rule is applied to, detached from the graph:
     *                    [B] (s_i) for the sequence-level modes, [B,T] (w_{i,t}) for GRPO
     */
    record Terms(NDArray perSequence, NDArray ratio) {}

    /**
     * @param tis truncated importance sampling against the rollout's log-probs, or null (off)
     */
    Terms objective(MaskedTokens tokens, ClipRange clip, double logRatioClamp, TruncatedImportance tis);

    /**
     * Elementwise PPO-style clipped term {@code min(r·Â, clip(r, 1−ε_low, 1+ε_high)·Â)}; r and Â
     * of the same (or broadcastable) shape. When the clipped branch is in effect its gradient wrt r
     * is 0.
     */
    static NDArray clippedTerm(NDArray ratio, NDArray advantage, ClipRange clip) {
        NDArray unclipped = ratio.mul(advantage);
        NDArray clipped = ratio.clip(clip.lowerBound(), clip.upperBound()).mul(advantage);
        return NDArrays.minimum(unclipped, clipped);
    }

    static Surrogate forMode(LossMode mode) {
        return switch (mode) {
            case GSPO -> new SequenceSurrogate();
            case GSPO_TOKEN -> new SequenceTokenSurrogate();
            case GRPO -> new TokenSurrogate();
        };
    }
}
