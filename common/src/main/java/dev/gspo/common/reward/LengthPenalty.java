package dev.gspo.common.reward;

/**
 * {@code length}: DAPO's soft over-long punishment (Yu et al. 2025, "DAPO", §3.4). With n the response's token count,
 * L_max = {@code maxTokens} and L_cache = {@code cacheTokens}:
 *
 * <pre>
 *   r(n) = 0                                 if n ≤ L_max − L_cache
 *        = ((L_max − L_cache) − n) / L_cache  if L_max − L_cache &lt; n ≤ L_max
 *        = −1                                if n &gt; L_max
 * </pre>
 *
 * so the penalty grows linearly from 0 to −1 over the last L_cache tokens of the budget. Added to a correctness reward
 * it tells the policy that a response running into the length limit is worse than a short one, without punishing
 * every long response as hard as a wrong one.
 *
 * @param maxTokens   L_max ≥ 1
 * @param cacheTokens L_cache in [1, L_max]
 */
public record LengthPenalty(int maxTokens, int cacheTokens) implements SampleReward {

    public LengthPenalty {
        if (maxTokens < 1 || cacheTokens < 1 || cacheTokens > maxTokens) {
            throw new IllegalArgumentException(
                    "need 1 <= cacheTokens <= maxTokens, got maxTokens=" + maxTokens + ", cacheTokens=" + cacheTokens);
        }
    }

    @Override
    public double score(RewardInput input) {
        return penalty(input.responseTokens());
    }

    /** r(n) above. */
    public double penalty(int tokens) {
        int free = maxTokens - cacheTokens;
        if (tokens <= free) {
            return 0.0;
        }
        if (tokens > maxTokens) {
            return -1.0;
        }
        return (free - tokens) / (double) cacheTokens;
    }
}
