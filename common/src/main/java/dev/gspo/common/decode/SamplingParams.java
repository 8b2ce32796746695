package dev.gspo.common.decode;

import java.util.List;

/**
 * How to sample one sequence.
 *
 * @param maxNewTokens generation stops after this many tokens (finish reason {@code length})
 * @param temperature  0 = greedy; otherwise logits are divided by it. Returned log-probs are always
 *                     log softmax(logits / T) over the full vocabulary (T = 1 for greedy), before top-k/top-p
 * @param topP         nucleus mass in (0, 1]; 1 disables it
 * @param topK         keep only the k most likely tokens; 0 disables it
 * @param stop         strings that end generation (finish reason {@code stop}); the returned text excludes them.
 *                     The model's EOS token always ends generation too (finish reason {@code eos})
 */
public record SamplingParams(int maxNewTokens, double temperature, double topP, int topK, List<String> stop) {
    public SamplingParams {
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be ≥ 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number ≥ 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be ≥ 0, got " + topK);
        }
    }

    public static SamplingParams greedy(int maxNewTokens, List<String> stop) {
        return new SamplingParams(maxNewTokens, 0, 1, 0, stop);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    /** The temperature the log-probs are computed at: T, or 1 for greedy decoding. */
    public float logprobTemperature() {
        return isGreedy() ? 1f : (float) temperature;
    }
}
