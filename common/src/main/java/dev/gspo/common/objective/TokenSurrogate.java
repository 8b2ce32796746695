package dev.gspo.common.objective;

import ai.djl.ndarray.NDArray;

/**
 * GRPO, token level (docs/ALGORITHM.md §6):
 *
 * <pre>
 *   w_{i,t} = exp( clamp(log π_θ(y_{i,t}) − log π_old(y_{i,t}), −C, C) )              [B,T]
 *   J_i     = (1/|y_i|) Σ_t min( w_{i,t} Â_{i,t} , clip(w_{i,t}, 1−ε_low, 1+ε_high) Â_{i,t} )   [B]
 * </pre>
 *
 * Â_{i,t} = Â_i for per-sequence advantages. Sums over valid tokens only; per-sequence token mean,
 * then (in {@link PolicyObjective}) mean over sequences. Truncated importance sampling multiplies each
 * token's term by its own ρ_{i,t} of {@link TruncatedImportance} (token level, as in the paper).
 */
final class TokenSurrogate implements Surrogate {

    @Override
    public Terms objective(MaskedTokens tokens, ClipRange clip, double logRatioClamp, TruncatedImportance tis) {
        NDArray w = tokens.logRatio.clip(-logRatioClamp, logRatioClamp).exp(); // [B,T]
        NDArray perToken = Surrogate.clippedTerm(w, tokens.tokenAdvantages(), clip); // [B,T]
        if (tis != null) {
            perToken = perToken.mul(tis.tokenWeights(tokens)); // ρ_{i,t} · min(…), token level
        }
        return new Terms(tokens.sequenceMean(perToken), w.stopGradient());
    }
}
