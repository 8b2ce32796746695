package dev.gspo.common.objective;

import ai.djl.ndarray.NDArray;

/**
 * GSPO, sequence level (docs/ALGORITHM.md §3–§4):
 *
 * <pre>
 *   ℓ_i = clamp( (1/|y_i|) Σ_t [log π_θ(y_{i,t}) − log π_old(y_{i,t})], −C, C )   [B]
 *   s_i = exp(ℓ_i)                                                              [B]
 *   J_i = min( s_i Â_i , clip(s_i, 1−ε_low, 1+ε_high) Â_i )                      [B]
 * </pre>
 *
 * The sums run over the valid tokens of sequence i only. Every valid token of sequence i gets the
 * gradient s_i Â_i / |y_i| · ∇log π_θ(y_{i,t}) while unclipped, 0 while clipped (and 0 when ℓ_i is
 * outside the clamp). Advantages must be one per sequence ([B]). With truncated importance sampling
 * J_i is multiplied by the constant ρ_i of {@link TruncatedImportance} (sequence level).
 */
final class SequenceSurrogate implements Surrogate {

    @Override
    public Terms objective(MaskedTokens tokens, ClipRange clip, double logRatioClamp, TruncatedImportance tis) {
        if (tokens.advantages.getShape().dimension() != 1) {
            throw new IllegalArgumentException("loss mode gspo needs one advantage per sequence ([B]), got "
                    + tokens.advantages.getShape() + "; use gspo-token for per-token advantages");
        }
        NDArray s = sequenceRatio(tokens, logRatioClamp); // [B]
        NDArray perSequence = Surrogate.clippedTerm(s, tokens.advantages, clip); // [B]
        if (tis != null) {
            perSequence = perSequence.mul(tis.sequenceWeights(tokens)); // ρ_i · J_i
        }
        return new Terms(perSequence, s.stopGradient());
    }

    /** s_i = exp(clamp(mean_t d_{i,t}, −C, C)), [B,T] → [B]; differentiable. */
    static NDArray sequenceRatio(MaskedTokens tokens, double logRatioClamp) {
        NDArray meanLogRatio = tokens.sequenceMean(tokens.logRatio); // [B]
        return meanLogRatio.clip(-logRatioClamp, logRatioClamp).exp();
    }
}
