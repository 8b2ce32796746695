package dev.gspo.common.train;

/**
 * One sampled response, ready for the policy-gradient update.
 *
 * @param rolloutLogprobs log π_old(y_t) as returned by the rollout replica that sampled it, one per response token
 * @param advantage       Â of its group
 * @param temperature     the sampling temperature (log-probs on both sides are log softmax(logits / T))
 */
public record PolicySample(
        int[] promptTokenIds, int[] responseTokenIds, float[] rolloutLogprobs, double advantage, float temperature) {
    public PolicySample {
        if (responseTokenIds.length == 0) {
            throw new IllegalArgumentException("a sample needs at least one response token");
        }
        if (rolloutLogprobs.length != responseTokenIds.length) {
            throw new IllegalArgumentException("rollout log-probs (" + rolloutLogprobs.length
                    + ") and response tokens (" + responseTokenIds.length + ") differ in count");
        }
    }
}
