package dev.gspo.bench;

import dev.gspo.common.model.ModelConfig;

/**
 * FLOP counts of the forward pass, as executed (padding and masked attention positions included):
 *
 * <pre>
 *   per position fed:          2 · P_layers          P_layers = L · (d·H·hd + 2·d·Hkv·hd + H·hd·d + 3·d·ff)
 *   per (query, key) pair:     4 · L · H · hd        (q kᵀ and p v; the attention matmuls span the whole mask)
 *   per row through the head:  2 · V · d             (the LM head; only the positions whose logits are needed)
 *   backward = 2 × forward, so a training forward + backward = 3 × forward (≈ 6 · params · tokens + attention)
 * </pre>
 * Norms, rotary, softmax and the embedding lookup are O(d) per position and left out.
 */
record Flops(ModelConfig c) {

    long layerParams() {
        long d = c.hiddenSize();
        long qd = (long) c.numAttentionHeads() * c.headDim();
        long kvd = (long) c.numKeyValueHeads() * c.headDim();
        return c.numHiddenLayers() * (d * qd + 2 * d * kvd + qd * d + 3 * d * c.intermediateSize());
    }

    double forward(double positions, double attentionPairs, double headRows) {
        return 2.0 * layerParams() * positions
                + 4.0 * c.numHiddenLayers() * c.numAttentionHeads() * c.headDim() * attentionPairs
                + 2.0 * c.vocabSize() * c.hiddenSize() * headRows;
    }

    /** Decoding {@code rows} rows of prompt length p for n new tokens, with or without the KV cache. */
    double decode(int rows, int p, int n, boolean cached) {
        double positions = 0;
        double pairs = 0;
        for (int k = 0; k < n; k++) {
            int s = p + k; // context length of the forward that yields token k
            int t = cached ? (k == 0 ? p : 1) : s;
            positions += t;
            pairs += (double) t * s;
        }
        return rows * forward(positions, pairs, n);
    }
}
