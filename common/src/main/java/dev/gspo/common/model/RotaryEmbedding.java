package dev.gspo.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

/**
 * Rotary position embeddings in Hugging Face's "rotate half" layout.
 *
 * <pre>
 *   inv_freq[i] = 1 / theta^(2i / head_dim),           i = 0 .. head_dim/2 − 1
 *   angle[p, j] = p · inv_freq[j mod head_dim/2],       j = 0 .. head_dim − 1   (cat(freqs, freqs))
 *   rope(x)[p]  = x[p] · cos(angle[p]) + rotate_half(x[p]) · sin(angle[p])
 *   rotate_half(x) = cat(−x[h:], x[:h]),                h = head_dim / 2
 * </pre>
 *
 * The cos/sin tables are computed once in double precision for every position up to
 * {@code max_position_embeddings} ({@link RowDecodeStep} computes one position's the same way, from the same
 * {@link #inverseFrequencies}, {@link #cos} and {@link #sin}); {@code rotate_half} is one matmul with a fixed ±1 permutation matrix, which is exact
 * and costs one native op instead of four.
 */
final class RotaryEmbedding implements AutoCloseable {
    private final NDManager manager;
    private final NDArray cosTable; // [maxPos, headDim]
    private final NDArray sinTable; // [maxPos, headDim]
    private final NDArray rotateHalf; // [headDim, headDim]

    /** cos and sin gathered for a batch of positions, each [B, 1, T, headDim] (broadcast over heads). */
    record Angles(NDArray cos, NDArray sin) {}

    RotaryEmbedding(ModelConfig config, NDManager parent) {
        this.manager = parent.newSubManager();
        int hd = config.headDim();
        int half = hd / 2;
        int maxPos = config.maxPositionEmbeddings();
        float[] cos = new float[maxPos * hd];
        float[] sin = new float[maxPos * hd];
        double[] invFreq = inverseFrequencies(config);
        for (int p = 0; p < maxPos; p++) {
            for (int j = 0; j < hd; j++) {
                cos[p * hd + j] = cos(p, invFreq[j % half]);
                sin[p * hd + j] = sin(p, invFreq[j % half]);
            }
        }
        float[] r = new float[hd * hd];
        for (int j = 0; j < half; j++) {
            r[(j + half) * hd + j] = -1f; // out[j]        = −x[j + h]
            r[j * hd + (j + half)] = 1f; // out[j + h]    =  x[j]
        }
        this.cosTable = owned(cos, new Shape(maxPos, hd));
        this.sinTable = owned(sin, new Shape(maxPos, hd));
        this.rotateHalf = owned(r, new Shape(hd, hd));
    }

    /** inv_freq[i] = 1 / theta^(2i / head_dim), i = 0 .. head_dim/2 − 1, in double precision. */
    static double[] inverseFrequencies(ModelConfig config) {
        int hd = config.headDim();
        double[] out = new double[hd / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / hd);
        }
        return out;
    }

    /** cos(angle) of position p at frequency invFreq, computed in double and rounded to float, as the tables hold it. */
    static float cos(int p, double invFreq) {
        return (float) Math.cos(p * invFreq);
    }

    /** sin(angle) of position p at frequency invFreq, computed in double and rounded to float, as the tables hold it. */
    static float sin(int p, double invFreq) {
        return (float) Math.sin(p * invFreq);
    }

    private NDArray owned(float[] data, Shape shape) {
        try (NDArray wrapped = manager.create(data, shape)) {
            return wrapped.duplicate();
        }
    }

    /** @param positions [B, T] int64 */
    Angles angles(NDArray positions) {
        NDArray cos = positions
                .getNDArrayInternal()
                .embedding(positions, cosTable, SparseFormat.DENSE)
                .singletonOrThrow();
        NDArray sin = positions
                .getNDArrayInternal()
                .embedding(positions, sinTable, SparseFormat.DENSE)
                .singletonOrThrow();
        return new Angles(cos.expandDims(1), sin.expandDims(1));
    }

    /** @param x [B, heads, T, headDim] → same shape, rotated */
    NDArray apply(NDArray x, Angles a) {
        return x.mul(a.cos()).add(x.matMul(rotateHalf).mul(a.sin()));
    }

    @Override
    public void close() {
        manager.close();
    }
}
