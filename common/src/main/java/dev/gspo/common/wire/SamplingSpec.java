package dev.gspo.common.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Sampling parameters of a rollout request; every field is optional.
 *
 * @param maxNewTokens tokens to generate at most; absent ⇒ 16
 * @param temperature  0 = greedy; absent ⇒ 1.0. Returned log-probs are log softmax(logits / T) (T = 1 when greedy)
 * @param topP         nucleus mass in (0, 1]; absent ⇒ 1 (off)
 * @param topK         keep the k most likely tokens, 0 = off; absent ⇒ 0
 * @param seed         the request seed (each sample derives its own); absent ⇒ a random seed, not reproducible
 * @param stop         strings that end a sample (excluded from its text); absent ⇒ none
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SamplingSpec(
        Integer maxNewTokens, Double temperature, Double topP, Integer topK, Long seed, List<String> stop) {

    public static SamplingSpec defaults() {
        return new SamplingSpec(null, null, null, null, null, null);
    }

    public static SamplingSpec of(int maxNewTokens, double temperature, long seed) {
        return new SamplingSpec(maxNewTokens, temperature, null, null, seed, null);
    }
}
