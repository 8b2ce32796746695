package dev.gspo.common.objective;

import ai.djl.ndarray.NDArray;

/**
 * k3 estimator of KL(π_θ ‖ π_ref) (Schulman's "approximating KL"), per token, then per-sequence
 * token mean:
 *
 * <pre>
 *   u_{i,t}  = clamp( log π_ref(y_{i,t}) − log π_θ(y_{i,t}), −C, C )   [B,T]
 *   k_{i,t}  = exp(u_{i,t}) − u_{i,t} − 1    (≥ 0)                     [B,T]
 *   KL_i     = (1/|y_i|) Σ_t k_{i,t}                                    [B]
 * </pre>
 *
 * The loss adds β · mean_i KL_i. The clamp (same C as the log-ratios) keeps exp finite; outside
 * it the gradient is 0.
 */
final class KlPenalty {

    private KlPenalty() {}

    /** KL_i, [B]; differentiable wrt the new log-probs. */
    static NDArray perSequence(MaskedTokens tokens, NDArray refLogprobs, double logRatioClamp) {
        NDArray u = tokens.select(refLogprobs)
                .sub(tokens.newLogprobs)
                .clip(-logRatioClamp, logRatioClamp); // [B,T], 0 where masked
        NDArray k = u.exp().sub(u).sub(1); // [B,T], 0 where masked
        return tokens.sequenceMean(k);
    }
}
