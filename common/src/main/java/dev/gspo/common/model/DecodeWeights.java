package dev.gspo.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.List;

/**
 * The weights of each block rearranged for decoding, so that a decode step runs fewer, larger native ops:
 *
 * <pre>
 *   Wqkv = [Wq / √hd ; Wk ; Wv]     [(H + 2·Hkv)·hd, d]   one projection instead of three; the attention scale is
 *                                                          folded into the query rows (rope is linear, so
 *                                                          rope(s·q) = s·rope(q))
 *   bqkv = [bq / √hd ; bk ; bv]     (when the architecture has q/k/v biases)
 *   Wgu  = [Wg ; Wu]                [2·ff, d]             one projection for the SwiGLU gate and up (dense layers)
 * </pre>
 *
 * The RMSNorm weight in front of each projection is folded into its columns, so that a decode step skips that
 * multiply: with n(x) = x / √(mean(x²) + eps) (the norm without its weight),
 * <pre>
 *   rmsnorm(x, w) Wᵀ = (n(x) ⊙ w) Wᵀ = n(x) (W · diag(w))ᵀ
 *   Wqkv ← Wqkv · diag(input_layernorm),   Wgu ← Wgu · diag(post_attention_layernorm)   (a sparse layer keeps its
 *                                                                                      post-norm weight: no Wgu)
 * </pre>
 *
 * With per-head q/k norms (qwen3) the scale cannot go into Wq: rmsnorm(s·q) = rmsnorm(q) (up to eps), so it would be
 * normalised away. It goes into the query norm's weight instead, rmsnorm(q, w)·s = rmsnorm(q, s·w), and the norm
 * weights are stacked per head so that one rmsnorm serves the query and key heads together:
 * <pre>
 *   Wqkv = [Wq ; Wk ; Wv],  bqkv = [bq ; bk ; bv],  Nqk = [q_norm / √hd  (×H) ; k_norm (×Hkv)]   [H + Hkv, 1, hd]
 * </pre>
 *
 * Built from the current weights by {@link Transformer#decodeWeights}: by default at the start of a generate call and
 * closed at its end, so it is never stale when the trainer updates the weights in place between calls; for a served
 * version, whose weights never change in place, once per version ({@link VersionDecodeWeights}, freed with the
 * version). No gradient flows through it: it is for decoding only (teacher forcing and training use the separate
 * weights).
 */
public final class DecodeWeights implements AutoCloseable {

    /**
     * One block's fused projections; {@code qkvBias} is null when the architecture has no q/k/v bias, {@code qkNorm}
     * when it has no q/k norms, {@code gateUp} for a sparse (MoE) layer, whose experts run unfused.
     */
    record Layer(NDArray qkv, NDArray qkvBias, NDArray gateUp, NDArray qkNorm) {}

    private final NDManager manager;
    private final List<Layer> layers;

    DecodeWeights(ModelConfig config, PolicyWeights weights, NDManager parent) {
        this.manager = parent.newSubManager();
        float scale = (float) (1.0 / Math.sqrt(config.headDim()));
        List<Layer> out = new ArrayList<>();
        try (NDScope ignored = new NDScope()) { // intermediates (the scaled query rows) are freed on the way out
            for (PolicyWeights.Layer w : weights.layers()) {
                boolean normed = w.qNorm() != null;
                float qScale = normed ? 1f : scale;
                NDArray qkv = owned(NDArrays.concat(new NDList(w.q().mul(qScale), w.k(), w.v()), 0)
                        .mul(w.inputNorm())); // [out, d] ⊙ [d]: column j scaled by the norm weight j
                NDArray bias = w.qBias() == null
                        ? null
                        : owned(NDArrays.concat(new NDList(w.qBias().mul(qScale), w.kBias(), w.vBias()), 0));
                NDArray gateUp = w.sparse()
                        ? null
                        : owned(NDArrays.concat(new NDList(w.gate(), w.up()), 0).mul(w.postNorm()));
                NDArray qkNorm = null;
                if (normed) {
                    int hd = config.headDim();
                    NDArray q = w.qNorm().mul(scale).reshape(1, 1, hd).repeat(0, config.numAttentionHeads());
                    NDArray k = w.kNorm().reshape(1, 1, hd).repeat(0, config.numKeyValueHeads());
                    qkNorm = owned(NDArrays.concat(new NDList(q, k), 0));
                }
                out.add(new Layer(qkv, bias, gateUp, qkNorm));
            }
        }
        this.layers = List.copyOf(out);
    }

    /** Keeps a result out of the scope and moves it from the weights' manager (where op results land) to ours. */
    private NDArray owned(NDArray a) {
        NDScope.unregister(a);
        a.attach(manager);
        return a;
    }

    Layer layer(int i) {
        return layers.get(i);
    }

    /** Whether the fused arrays are still allocated (false once {@link #close}d). */
    public boolean isOpen() {
        return manager.isOpen();
    }

    @Override
    public void close() {
        manager.close();
    }
}
