package dev.gspo.common.train;

/**
 * One sampled response, ready for the policy-gradient update.
 *
 * @param rolloutLogprobs log π_old(y_t) as returned by the rollout replica that sampled it, one per response token
 * @param advantage       Â of its group
 * @param temperature     the sampling temperature (log-probs on both sides are log softmax(logits / T))
 * @param masked          true: every token of the response has mask 0, so the sample adds nothing to the loss, to its
 *                        gradient or to the counts the loss is averaged over (e.g. a truncated response under
 *                        {@code objective.maskTruncated}); its reward still counted in its group's advantage
 */
public record PolicySample(
        int[] promptTokenIds,
        int[] responseTokenIds,
        float[] rolloutLogprobs,
        double advantage,
        float temperature,
        boolean masked) {
    public PolicySample {
        if (responseTokenIds.length == 0) {
            throw new IllegalArgumentException("a sample needs at least one response token");
        }
        if (rolloutLogprobs.length != responseTokenIds.length) {
            throw new IllegalArgumentException("rollout log-probs (" + rolloutLogprobs.length
                    + ") and response tokens (" + responseTokenIds.length + ") differ in count");
        }
    }

    /** A sample that is trained on. */
    public PolicySample(
            int[] promptTokenIds,
            int[] responseTokenIds,
            float[] rolloutLogprobs,
            double advantage,
            float temperature) {
        this(promptTokenIds, responseTokenIds, rolloutLogprobs, advantage, temperature, false);
    }
}
