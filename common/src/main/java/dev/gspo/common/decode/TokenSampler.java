package dev.gspo.common.decode;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Picks the next token from one row of log-probs (already computed at the sampling temperature).
 *
 * <p>Written here because DJL on PyTorch has no categorical sampler ({@code randomMultinomial} is not implemented)
 * and top-k/top-p need a sort per row anyway; the rows are small and already on the JVM side.
 */
public final class TokenSampler {
    private TokenSampler() {}

    /**
     * @param logprobs log softmax(logits / T) for the row, {@code vocab} entries from {@code offset}
     * @return argmax when greedy; else a draw from the distribution restricted to the top-k tokens and then to the
     *         smallest prefix (by probability) whose mass reaches top-p, renormalised
     */
    public static int sample(float[] logprobs, int offset, int vocab, SamplingParams p, RandomGenerator rng) {
        if (p.isGreedy()) {
            int best = 0;
            for (int i = 1; i < vocab; i++) {
                if (logprobs[offset + i] > logprobs[offset + best]) {
                    best = i;
                }
            }
            return best;
        }
        double u = rng.nextDouble();
        if (p.topK() == 0 && p.topP() >= 1) {
            double cumulative = 0;
            int last = 0;
            for (int i = 0; i < vocab; i++) {
                double prob = Math.exp(logprobs[offset + i]);
                if (prob > 0) {
                    last = i;
                    cumulative += prob;
                    if (u < cumulative) {
                        return i;
                    }
                }
            }
            return last; // u landed in the rounding gap above the summed mass
        }
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logprobs[offset + b], logprobs[offset + a]));
        int keep = p.topK() > 0 ? Math.min(p.topK(), vocab) : vocab;
        double mass = 0;
        int n = 0;
        while (n < keep) {
            mass += Math.exp(logprobs[offset + order[n]]);
            n++;
            if (mass >= p.topP()) {
                break;
            }
        }
        double target = u * mass;
        double cumulative = 0;
        for (int i = 0; i < n; i++) {
            cumulative += Math.exp(logprobs[offset + order[i]]);
            if (target < cumulative) {
                return order[i];
            }
        }
        return order[n - 1];
    }
}
