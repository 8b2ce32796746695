package dev.gspo.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Builds the additive attention masks {@code [B, 1, T, S]} (0 = may attend, −∞ = may not) for the two layouts the
 * model runs in. A query always may attend to itself, so rows at padding positions stay finite (an all −∞ row would
 * make softmax NaN, and NaN times a zero weight is still NaN downstream).
 */
public final class AttentionBias {
    private AttentionBias() {}

    /**
     * Causal mask over left-padded rows: query i (cache slot {@code start + i}) sees key j iff
     * {@code j ≤ start + i} and {@code j ≥ padLeft[b]} (or j is the query itself).
     *
     * @param padLeft number of padding slots at the start of each row
     * @param start   cache slots already filled before this call
     * @param t       queries in this call
     */
    public static NDArray leftPadded(NDManager manager, int[] padLeft, int start, int t) {
        int b = padLeft.length;
        int s = start + t;
        float[] bias = new float[b * t * s];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < t; i++) {
                int q = start + i;
                for (int j = 0; j < s; j++) {
                    boolean visible = j == q || (j <= q && j >= padLeft[r]);
                    bias[(r * t + i) * s + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
                }
            }
        }
        return manager.create(bias, new Shape(b, 1, t, s));
    }

    /** Causal mask over right-padded rows of the given valid lengths: query i sees key j iff j ≤ i and j < length[b]. */
    public static NDArray rightPadded(NDManager manager, int[] lengths, int t) {
        int b = lengths.length;
        float[] bias = new float[b * t * t];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) {
                    boolean visible = j == i || (j < i && j < lengths[r]);
                    bias[(r * t + i) * t + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
                }
            }
        }
        return manager.create(bias, new Shape(b, 1, t, t));
    }
}
