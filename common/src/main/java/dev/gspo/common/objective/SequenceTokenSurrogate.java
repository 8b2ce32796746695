package dev.gspo.common.objective;

import ai.djl.ndarray.NDArray;

/**
 * GSPO-token (docs/ALGORITHM.md §5): the sequence ratio written per token so that advantages may differ
 * per token.
 *
 * <pre>
 *   s_i     = exp(clamp(mean_t d_{i,t}, −C, C))                       [B]    (as in GSPO)
 *   s_{i,t} = sg[s_i] · exp(log π_θ(y_{i,t}) − sg[log π_θ(y_{i,t})])    [B,T]  (value s_i, ∂/∂log π_θ(y_{i,t}) = s_i)
 *   J_i     = (1/|y_i|) Σ_t min( s_{i,t} Â_{i,t} , clip(s_{i,t}, 1−ε_low, 1+ε_high) Â_{i,t} )   [B]
 * </pre>
 *
 * With Â_{i,t} = Â_i this has the value and the gradient of {@link SequenceSurrogate}, with one
 * exception: when ℓ_i is outside the clamp and the unclipped branch is in effect, GSPO's gradient
 * is 0 (the clamp cuts it) while this form still passes s_i = e^{±C} (finite). Truncated importance
 * sampling weighs J_i by the sequence-level ρ_i of {@link TruncatedImportance}, as GSPO does.
 */
final class SequenceTokenSurrogate implements Surrogate {

    @Override
    public Terms objective(MaskedTokens tokens, ClipRange clip, double logRatioClamp, TruncatedImportance tis) {
        NDArray s = SequenceSurrogate.sequenceRatio(tokens, logRatioClamp).stopGradient(); // sg[s_i], [B]
        NDArray lp = tokens.newLogprobs; // [B,T]
        NDArray tokenRatio = s.expandDims(1).mul(lp.sub(lp.stopGradient()).exp()); // s_{i,t}, [B,T]
        NDArray perToken = Surrogate.clippedTerm(tokenRatio, tokens.tokenAdvantages(), clip);
        NDArray perSequence = tokens.sequenceMean(perToken); // [B]
        if (tis != null) {
            perSequence = perSequence.mul(tis.sequenceWeights(tokens)); // ρ_i · J_i, as GSPO
        }
        return new Terms(perSequence, s);
    }
}
