package dev.gspo.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * One LoRA adapter arranged for the fused decode projections of {@link DecodeWeights}, so that rows of different
 * adapters can share one decode batch over the <i>unmerged</i> base weights ({@link AdapterRows}): the base projection
 * runs once for every row, and each adapter adds its low-rank term to its own rows only.
 *
 * <pre>
 *   c = α / r,  s = 1/√hd for the query rows when the model has no q/k norms, else 1 (as in {@link DecodeWeights})
 *   qkv:  A = [Aq ; Ak ; Av]          [Σ r, d]        B = blockdiag(s·c·Bq, c·Bk, c·Bv)   [(H + 2·Hkv)·hd, Σ r]
 *   gu:   A = [Ag ; Au]               [Σ r, d]        B = blockdiag(c·Bg, c·Bu)           [2·ff, Σ r]
 *   o, down:  A,  c·B
 *   δ(x) = (x Aᵀ) Bᵀ        added to the fused projection's output: y = x Wᵀ + δ(x)
 *                           (computed as addmm(y, x Aᵀ, Bᵀ): the add happens inside the second GEMM)
 * </pre>
 *
 * A target that is not adapted has no rows in A and zero rows in B (its part of δ is exactly 0); a projection with no
 * adapted target at all has no pair (null). Each term equals {@link LoraWeights#delta} (scaled as the fused weights
 * are) up to float rounding, so decoding with it equals decoding with the merged weights W + (α/r)·B A. Holds copies of
 * the adapter's numbers: the {@link LoraWeights} it was built from may be closed.
 */
public final class DecodeAdapter implements AutoCloseable {
    /** The fused projections an adapter can add to. */
    public enum Part {
        QKV,
        GATE_UP,
        O,
        DOWN
    }

    /** δ(x) = (x Aᵀ) Bᵀ; A [R, in], B [out, R] with the scales folded in. */
    record Pair(NDArray a, NDArray b) {
        /**
         * y + (x Aᵀ) Bᵀ as two native ops: u = x Aᵀ (a linear with weight A), then one GEMM with y as the addend,
         * torch.addmm(y, u, Bᵀ) (a linear with weight B and the 2-D "bias" y): no δ array is materialised and no
         * separate add runs. Both weights are read in their stored layout (no transposed copies).
         *
         * @param y2 [M, out] the base projection's output for these M rows (not changed)
         * @param x2 [M, in] the projection's input for the same rows
         * @return [M, out]
         */
        NDArray addTo(NDArray y2, NDArray x2) {
            NDArray u = x2.getNDArrayInternal().linear(x2, a, null).singletonOrThrow(); // [M, R]
            return u.getNDArrayInternal().linear(u, b, y2).singletonOrThrow();
        }
    }

    private final NDManager manager;
    private final List<Pair[]> layers; // per layer, indexed by Part.ordinal()
    private final LoraConfig lora;
    private final long bytes;

    private DecodeAdapter(NDManager manager, List<Pair[]> layers, LoraConfig lora, long bytes) {
        this.manager = manager;
        this.layers = layers;
        this.lora = lora;
        this.bytes = bytes;
    }

    /** Builds the fused terms of {@code adapter} for a model of {@code config}; the result lives under {@code parent}. */
    public static DecodeAdapter of(ModelConfig config, LoraWeights adapter, NDManager parent) {
        NDManager manager = parent.newSubManager();
        try {
            double c = adapter.config().scale();
            double s = config.architecture().qkNorm() ? 1.0 : 1.0 / Math.sqrt(config.headDim());
            List<Pair[]> layers = new ArrayList<>();
            long bytes = 0;
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                Pair[] parts = new Pair[Part.values().length];
                parts[Part.QKV.ordinal()] = fuse(
                        manager,
                        config,
                        adapter,
                        i,
                        new LoraTarget[] {LoraTarget.Q, LoraTarget.K, LoraTarget.V},
                        new double[] {s * c, c, c});
                if (!config.isSparseLayer(i)) {
                    parts[Part.GATE_UP.ordinal()] = fuse(
                            manager,
                            config,
                            adapter,
                            i,
                            new LoraTarget[] {LoraTarget.GATE, LoraTarget.UP},
                            new double[] {c, c});
                    parts[Part.DOWN.ordinal()] =
                            fuse(manager, config, adapter, i, new LoraTarget[] {LoraTarget.DOWN}, new double[] {c});
                }
                parts[Part.O.ordinal()] =
                        fuse(manager, config, adapter, i, new LoraTarget[] {LoraTarget.O}, new double[] {c});
                for (Pair p : parts) {
                    if (p != null) {
                        bytes += (p.a().size() + p.b().size()) * Float.BYTES;
                    }
                }
                layers.add(parts);
            }
            return new DecodeAdapter(manager, List.copyOf(layers), adapter.config(), bytes);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A = the adapted targets' A stacked along the rank axis, B = their scaled B placed block-diagonally at each
     * target's output rows (zeros elsewhere); null when none of {@code targets} is adapted in layer {@code layer}.
     */
    private static Pair fuse(
            NDManager manager,
            ModelConfig config,
            LoraWeights adapter,
            int layer,
            LoraTarget[] targets,
            double[] scales) {
        long in = targets[0].in(config);
        long outTotal = 0;
        int rankTotal = 0;
        List<float[]> as = new ArrayList<>();
        List<float[]> bs = new ArrayList<>();
        int[] ranks = new int[targets.length];
        for (int t = 0; t < targets.length; t++) {
            outTotal += targets[t].out(config);
            NDArray a = adapter.byName().get(targets[t].modulePath(layer) + LoraWeights.A_SUFFIX);
            if (a == null) {
                as.add(null);
                bs.add(null);
                continue;
            }
            NDArray b = adapter.byName().get(targets[t].modulePath(layer) + LoraWeights.B_SUFFIX);
            ranks[t] = Math.toIntExact(a.getShape().get(0));
            rankTotal += ranks[t];
            as.add(a.toFloatArray());
            bs.add(b.toFloatArray());
        }
        if (rankTotal == 0) {
            return null;
        }
        float[] aFused = new float[Math.toIntExact(rankTotal * in)];
        float[] bFused = new float[Math.toIntExact(outTotal * rankTotal)];
        int rankAt = 0;
        long outAt = 0;
        for (int t = 0; t < targets.length; t++) {
            long out = targets[t].out(config);
            float[] a = as.get(t);
            if (a != null) {
                int r = ranks[t];
                System.arraycopy(a, 0, aFused, Math.toIntExact(rankAt * in), a.length);
                float[] b = bs.get(t); // [out, r]
                for (long o = 0; o < out; o++) {
                    for (int j = 0; j < r; j++) {
                        bFused[Math.toIntExact((outAt + o) * rankTotal + rankAt + j)] =
                                (float) (scales[t] * b[Math.toIntExact(o * r + j)]);
                    }
                }
                rankAt += r;
            }
            outAt += out;
        }
        return new Pair(
                owned(manager, aFused, new Shape(rankTotal, in)),
                owned(manager, bFused, new Shape(outTotal, rankTotal)));
    }

    /** A native copy: create() may wrap Java memory without copying it. */
    private static NDArray owned(NDManager manager, float[] data, Shape shape) {
        try (NDArray wrapped = manager.create(data, shape)) {
            return wrapped.duplicate();
        }
    }

    /** The term of {@code part} in block {@code layer}, or null when that projection is not adapted. */
    Pair pair(int layer, Part part) {
        return layers.get(layer)[part.ordinal()];
    }

    public LoraConfig lora() {
        return lora;
    }

    /** Native bytes held: every fused A and B, float32. */
    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        manager.close();
    }
}
