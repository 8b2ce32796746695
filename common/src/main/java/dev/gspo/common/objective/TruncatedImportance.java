package dev.gspo.common.objective;

import ai.djl.ndarray.NDArray;

/**
 * Truncated importance sampling (TIS) against the train–inference mismatch (Yao et al. 2025, "Your efficient RL
 * framework secretly brings you off-policy RL training"; docs/ALGORITHM.md §9.1). The samples were drawn by the
 * rollout engine's π_rollout, while the ratio's π_old is the trainer's own log-probs (recomputed); the expected
 * gradient is that of samples from π_old only after re-weighting by π_old / π_rollout, which is capped at C_TIS so
 * that a few tokens the engine found far less likely than the trainer does cannot dominate the step. With pipelined
 * steps ({@code sampling.maxStaleness} &gt; 0) π_rollout is also older than π_old (the trainer's policy when the
 * step starts), and the same weight corrects for that (AReaL's decoupled objective with a truncated behaviour weight).
 *
 * <pre>
 *   δ_{i,t}  = log π_old(y_{i,t}) − log π_rollout(y_{i,t})           valid tokens only          [B,T]
 *
 *   sequence level (gspo, gspo-token: the level of their ratio s_i, length-normalised like it):
 *     ρ_i     = min( exp( clamp( (1/|y_i|) Σ_t δ_{i,t}, −C, C ) ), C_TIS )                      [B]
 *     J_i    ← ρ_i · J_i
 *
 *   token level (grpo: the level of its ratio w_{i,t}, as in the paper):
 *     ρ_{i,t} = min( exp( clamp( δ_{i,t}, −C, C ) ), C_TIS )                                    [B,T]
 *     J_i    ← (1/|y_i|) Σ_t ρ_{i,t} · min( w_{i,t} Â_{i,t}, clip(w_{i,t}) Â_{i,t} )   (w_{i,t}: GRPO's ratio)
 * </pre>
 *
 * C is the log-ratio clamp (20). The weights are constants (neither log-prob depends on θ): they scale each term's
 * gradient, they are not differentiated (so {@code minimum(Number)} is safe here: no graph keeps its operand,
 * see {@code Scalars}). A weight is never raised to C_TIS, only cut: on-policy with no mismatch every
 * w = 1.
 */
final class TruncatedImportance {
    private final double cap;
    private final double logRatioClamp;

    /**
     * @param cap C_TIS, ≥ 1
     */
    TruncatedImportance(double cap, double logRatioClamp) {
        this.cap = cap;
        this.logRatioClamp = logRatioClamp;
    }

    /** ρ_i, [B]: one weight per sequence from its mean log-ratio old − rollout. */
    NDArray sequenceWeights(MaskedTokens tokens) {
        return tokens.sequenceMean(tokens.behaviourLogRatio())
                .clip(-logRatioClamp, logRatioClamp)
                .exp()
                .minimum(cap)
                .stopGradient();
    }

    /** ρ_{i,t}, [B,T]: one weight per token; 0 at masked positions. */
    NDArray tokenWeights(MaskedTokens tokens) {
        return tokens.select(tokens.behaviourLogRatio()
                        .clip(-logRatioClamp, logRatioClamp)
                        .exp()
                        .minimum(cap))
                .stopGradient();
    }
}
