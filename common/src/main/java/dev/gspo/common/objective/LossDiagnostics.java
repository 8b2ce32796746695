package dev.gspo.common.objective;

/**
 * Plain-number diagnostics of one {@link PolicyObjective#compute} call (docs/ALGORITHM.md §10). "Valid
 * token" = mask ≠ 0; c_{i,t} = 1 if the clipped branch is in effect for token t of sequence i
 * (for {@code gspo}/{@code gspo-token} decided with the sequence ratio s_i, so a clipped sequence
 * has all its valid tokens clipped; for {@code grpo} with w_{i,t}).
 *
 * @param loss               the loss value −J (+ β·KL_ref)
 * @param clipSequence       per sequence (TRL-style, each response weighs 1):
 *                           mean_i (1/|y_i|) Σ_t c_{i,t}; for gspo this is the share of clipped
 *                           sequences
 * @param clipToken          per token (verl-style, token-weighted): Σ_{i,t} c_{i,t} / Σ_i |y_i|
 * @param ratio              statistics of the importance ratio the clip rule saw: over the B
 *                           sequence ratios s_i for gspo/gspo-token, over all valid-token ratios
 *                           w_{i,t} for grpo (after the log-ratio clamp)
 * @param approxKl           approximate KL old→new: mean over all valid tokens of the batch of
 *                           (log π_old − log π_θ)
 * @param klToRef            mean_i KL_i of the k3 estimator against the reference policy
 *                           ({@link KlPenalty}), NaN without reference log-probs
 * @param entropy            mean over valid tokens of the per-token entropy given in the batch;
 *                           NaN when none was given (it cannot be computed from the log-probs of
 *                           the chosen tokens alone)
 * @param zeroVarianceShare  passed through from {@link PolicyBatch#zeroVarianceShare()} (computed
 *                           by {@link GroupAdvantages}); NaN if not given
 * @param meanResponseLength mean_i |y_i| (valid tokens per sequence)
 * @param sequences          B
 * @param tokens             Σ_i |y_i|
 */
public record LossDiagnostics(
        double loss,
        ClipFraction clipSequence,
        ClipFraction clipToken,
        RatioStats ratio,
        double approxKl,
        double klToRef,
        double entropy,
        double zeroVarianceShare,
        double meanResponseLength,
        int sequences,
        long tokens) {}
