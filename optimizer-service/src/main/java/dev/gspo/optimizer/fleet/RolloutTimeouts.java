package dev.gspo.optimizer.fleet;

import java.time.Duration;

/**
 * How long one rollout request may take, from what it asks for:
 *
 * <pre>
 *   timeout = min(cap, floor + perToken × prompts × groupSize × maxNewTokens)
 * </pre>
 *
 * so a small share fails over quickly when its replica hangs, and a large one is not cut short. Properties:
 * {@code gspo.optimizer.request-timeout-floor} (30 s), {@code request-timeout-per-token} (5 ms),
 * {@code request-timeout} (the cap, 120 s).
 */
public record RolloutTimeouts(Duration floor, Duration perToken, Duration cap) {

    /** The same timeout for every request (what the optimizer did before). */
    public static RolloutTimeouts fixed(Duration timeout) {
        return new RolloutTimeouts(timeout, Duration.ZERO, timeout);
    }

    public Duration forRequest(int prompts, int groupSize, int maxNewTokens) {
        long tokens = (long) prompts * groupSize * maxNewTokens;
        Duration t = floor.plus(perToken.multipliedBy(tokens));
        return t.compareTo(cap) > 0 ? cap : t;
    }
}
