package dev.gspo.common.model;

import ai.djl.pytorch.jni.JniUtils;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * One decode step of one row in Java: the token's residual stream through every block and the log-probs of the next
 * token, with the weights ({@link DecodeWeights}' fused projections, o/down, embed_tokens, the final norm, lm_head)
 * and the row's KV cache read in place through native views ({@link MatVec#view}), this step's key and value written
 * into the cache in place. No native op and no native allocation per step: at batch 1 a libtorch step is ~174 (tiny
 * model) to ~331 (25M) small ops, each a JNI call, and its matrix–vector products do not use the second core.
 *
 * <p>The math is {@link Transformer}'s fused decode path for one token x at position p (H query heads, Hkv kv heads,
 * group = H / Hkv, hd = head_dim, n(v) = v / √(mean(v²) + eps), RMSNorm without its weight, which is folded into Wqkv
 * and Wgu):
 *
 * <pre>
 *   x = embed_tokens[token]                                                           [d]
 *   per (dense) layer ℓ:
 *     qkv = Wqkv n(x) + bqkv                      [(H + 2·Hkv)·hd]  rows q | k | v; 1/√hd folded into q's rows
 *     qk heads (the first H + Hkv): with q/k norms, head h ← n(head h) ⊙ Nqk[h]   (1/√hd folded into q's norm)
 *                                   then RoPE at p: out[j] = y[j]·cos[p, j] + rot(y)[j]·sin[p, j],
 *                                   rot(y)[j] = −y[j + hd/2] (j &lt; hd/2), y[j − hd/2] (j ≥ hd/2)
 *     K[ℓ][kv head j][p] = k_j,  V[ℓ][j][p] = v_j                       (written into the cache in place)
 *     query head i reads kv head j = ⌊i / group⌋:  s_t = q_i · K[j][t],  a_i = Σ_t softmax(s)_t V[j][t],  t ∈ [0, p]
 *     x = x + Wo a
 *     gu = Wgu n(x),  g = gu[:ff],  u = gu[ff:]
 *     x = x + Wdown (silu(g) ⊙ u),  silu(g) = g · σ(g)
 *   logits = lm_head (n(x) ⊙ norm)                                                     [V]
 *   log-probs = log_softmax(logits / T) = z − max z − log Σ exp(z − max z),  z = logits / T
 * </pre>
 *
 * Matrix–vector products: {@link MatVec}, split over libtorch's intra-op threads ({@code ai.djl.pytorch.num_threads},
 * the bench's {@code --threads}) when large enough. Float sums are accumulated in a different order than libtorch's
 * kernels, so results agree with the libtorch path up to float rounding (decode = teacher forcing within 1e-5, tests
 * in {@code RowDecodeStepTest}).
 *
 * <p><b>Where it does not apply</b> ({@link #of} returns null and the caller keeps the libtorch path): a sparse
 * (MoE) layer, LoRA adapters on the model ({@link Transformer#lora}; per-row {@link AdapterRows} are never given to
 * it), weights not on the CPU, not float32 or not contiguous (no in-place view), and the unfused control path (no
 * {@link DecodeWeights}). Not thread-safe: one step object per decoding thread (its scratch arrays are its own).
 */
public final class RowDecodeStep {
    private static final LongAdder STEPS = new LongAdder();

    private final int d;
    private final int heads;
    private final int kvHeads;
    private final int hd;
    private final int group;
    private final int ff;
    private final int vocab;
    private final float eps;
    private final int threads;
    private final List<LayerViews> layers;
    private final MemorySegment embed;
    private final MemorySegment lmHead;
    private final float[] finalNorm;
    private final double[] invFreq;
    // scratch, one set per step object: nothing is allocated per step
    private final float[] x;
    private final float[] n;
    private final float[] qkv;
    private final float[] attention;
    private final float[] out;
    private final float[] gateUp;
    private final float[] act;
    private final float[] scores;
    private final float[] cos;
    private final float[] sin;
    private final float[] logits;

    /** One dense block's weights as in-place views, and its small vectors copied (null where it has none). */
    private record LayerViews(
            MemorySegment qkv,
            float[] qkvBias,
            float[] qkNorm,
            MemorySegment o,
            MemorySegment gateUp,
            MemorySegment down) {}

    private RowDecodeStep(
            ModelConfig config, List<LayerViews> layers, MemorySegment embed, MemorySegment lmHead, float[] finalNorm) {
        this.d = config.hiddenSize();
        this.heads = config.numAttentionHeads();
        this.kvHeads = config.numKeyValueHeads();
        this.hd = config.headDim();
        this.group = config.kvGroupSize();
        this.ff = config.intermediateSize();
        this.vocab = config.vocabSize();
        this.eps = (float) config.rmsNormEps();
        this.threads = Math.max(1, JniUtils.getNumThreads());
        this.layers = layers;
        this.embed = embed;
        this.lmHead = lmHead;
        this.finalNorm = finalNorm;
        this.invFreq = RotaryEmbedding.inverseFrequencies(config);
        this.x = new float[d];
        this.n = new float[d];
        this.qkv = new float[(heads + 2 * kvHeads) * hd];
        this.attention = new float[heads * hd];
        this.out = new float[d];
        this.gateUp = new float[2 * ff];
        this.act = new float[ff];
        this.scores = new float[config.maxPositionEmbeddings()];
        this.cos = new float[hd / 2];
        this.sin = new float[hd / 2];
        this.logits = new float[vocab];
    }

    /**
     * The Java step over {@code fused} and the model's other weights, or null where it does not apply (see the class
     * comment): the caller then decodes through {@link Transformer#hidden}. Valid while {@code fused} and the
     * model's weights are open.
     */
    public static RowDecodeStep of(Transformer transformer, DecodeWeights fused) {
        if (fused == null || !fused.isOpen() || transformer.lora() != null) {
            return null;
        }
        ModelConfig config = transformer.config();
        PolicyWeights w = transformer.weights();
        List<LayerViews> views = new ArrayList<>();
        int i = 0;
        for (PolicyWeights.Layer layer : w.layers()) {
            DecodeWeights.Layer f = fused.layer(i++);
            if (layer.sparse() || f.gateUp() == null) {
                return null;
            }
            MemorySegment qkv = MatVec.view(f.qkv());
            MemorySegment o = MatVec.view(layer.o());
            MemorySegment gateUp = MatVec.view(f.gateUp());
            MemorySegment down = MatVec.view(layer.down());
            if (qkv == null || o == null || gateUp == null || down == null) {
                return null;
            }
            views.add(new LayerViews(
                    qkv,
                    f.qkvBias() == null ? null : f.qkvBias().toFloatArray(),
                    f.qkNorm() == null ? null : f.qkNorm().toFloatArray(),
                    o,
                    gateUp,
                    down));
        }
        MemorySegment embed = MatVec.view(w.embedTokens());
        MemorySegment lmHead = MatVec.view(w.lmHead());
        if (embed == null
                || lmHead == null
                || !w.finalNorm().getDevice().equals(w.embedTokens().getDevice())) {
            return null;
        }
        return new RowDecodeStep(
                config, List.copyOf(views), embed, lmHead, w.finalNorm().toFloatArray());
    }

    /**
     * Feeds {@code token} at {@code position} of cache row {@code slot}, writes its keys and values there, advances
     * the cache by one ({@link KvCache#advance}) and returns log_softmax(logits / temperature).
     *
     * @param cache holds positions [0, position) of the row already; {@code position} < its capacity
     * @return the log-probs over the whole vocabulary, in an array this object reuses at its next step
     */
    public float[] logprobs(int token, int position, KvCache cache, int slot, float temperature) {
        if (position >= cache.capacity()) {
            throw new IllegalStateException("KV cache full: " + (position + 1) + " > capacity " + cache.capacity());
        }
        MatVec.Pool pool = MatVec.tryAcquire(threads);
        try {
            MemorySegment.copy(embed, MatVec.F32, (long) token * d * Float.BYTES, x, 0, d);
            rotaryAngles(position);
            for (int l = 0; l < layers.size(); l++) {
                block(pool, layers.get(l), cache, l, slot, position);
            }
            normalize(x, n);
            for (int i = 0; i < d; i++) {
                n[i] *= finalNorm[i];
            }
            MatVec.multiply(pool, lmHead, vocab, d, n, logits);
        } finally {
            MatVec.release(pool);
        }
        cache.advance(1);
        STEPS.increment();
        return logSoftmax(logits, temperature);
    }

    /** The matrix–vector kernel this JVM runs: "Vector API, …" with {@code jdk.incubator.vector}, else "scalar". */
    public static String kernel() {
        return MatVec.KERNEL.toString();
    }

    /** Steps decoded in Java in this JVM so far (all step objects): shows which path a decode call took. */
    public static long stepsRun() {
        return STEPS.sum();
    }

    private void block(MatVec.Pool pool, LayerViews w, KvCache cache, int layer, int slot, int p) {
        normalize(x, n);
        MatVec.multiply(pool, w.qkv(), qkv.length, d, n, qkv);
        if (w.qkvBias() != null) {
            for (int i = 0; i < qkv.length; i++) {
                qkv[i] += w.qkvBias()[i];
            }
        }
        for (int h = 0; h < heads + kvHeads; h++) { // query heads, then key heads
            int at = h * hd;
            if (w.qkNorm() != null) {
                float inv = inverseRms(qkv, at, hd);
                for (int j = 0; j < hd; j++) {
                    qkv[at + j] = qkv[at + j] * inv * w.qkNorm()[at + j];
                }
            }
            rope(qkv, at);
        }
        MemorySegment[] kv = cache.views(layer);
        int capacity = cache.capacity();
        int kAt = heads * hd;
        int vAt = (heads + kvHeads) * hd;
        for (int j = 0; j < kvHeads; j++) { // K[slot][j][p] = k_j, V[slot][j][p] = v_j
            long to = (((long) slot * kvHeads + j) * capacity + p) * hd * Float.BYTES;
            MemorySegment.copy(qkv, kAt + j * hd, kv[0], MatVec.F32, to, hd);
            MemorySegment.copy(qkv, vAt + j * hd, kv[1], MatVec.F32, to, hd);
        }
        for (int i = 0; i < heads; i++) {
            int j = i / group;
            long head = ((long) slot * kvHeads + j) * capacity * hd * Float.BYTES; // K[slot][j][0]
            float max = Float.NEGATIVE_INFINITY;
            for (int t = 0; t <= p; t++) {
                float s = MatVec.dot(kv[0], head + (long) t * hd * Float.BYTES, qkv, i * hd, hd);
                scores[t] = s;
                max = Math.max(max, s);
            }
            float sum = 0;
            for (int t = 0; t <= p; t++) {
                float e = (float) Math.exp(scores[t] - max);
                scores[t] = e;
                sum += e;
            }
            int a = i * hd;
            for (int c = 0; c < hd; c++) {
                attention[a + c] = 0;
            }
            for (int t = 0; t <= p; t++) {
                MatVec.KERNEL.axpy(scores[t] / sum, kv[1], head + (long) t * hd * Float.BYTES, attention, a, hd);
            }
        }
        MatVec.multiply(pool, w.o(), d, heads * hd, attention, out);
        for (int i = 0; i < d; i++) {
            x[i] += out[i];
        }
        normalize(x, n);
        MatVec.multiply(pool, w.gateUp(), 2 * ff, d, n, gateUp);
        for (int i = 0; i < ff; i++) {
            float g = gateUp[i];
            act[i] = g * (float) (1.0 / (1.0 + Math.exp(-g))) * gateUp[ff + i];
        }
        MatVec.multiply(pool, w.down(), d, ff, act, out);
        for (int i = 0; i < d; i++) {
            x[i] += out[i];
        }
    }

    /** cos and sin of position p for the first hd/2 dimensions (the second half repeats them: cat(freqs, freqs)). */
    private void rotaryAngles(int p) {
        for (int j = 0; j < hd / 2; j++) {
            cos[j] = RotaryEmbedding.cos(p, invFreq[j]);
            sin[j] = RotaryEmbedding.sin(p, invFreq[j]);
        }
    }

    /** RoPE of the head at {@code at}, in place: y[j]·cos + rot(y)[j]·sin with rot(y) = cat(−y[h:], y[:h]). */
    private void rope(float[] y, int at) {
        int half = hd / 2;
        for (int j = 0; j < half; j++) {
            float lo = y[at + j];
            float hi = y[at + half + j];
            y[at + j] = lo * cos[j] + (-hi) * sin[j];
            y[at + half + j] = hi * cos[j] + lo * sin[j];
        }
    }

    /** to = n(from) = from / √(mean(from²) + eps). */
    private void normalize(float[] from, float[] to) {
        float inv = inverseRms(from, 0, from.length);
        for (int i = 0; i < from.length; i++) {
            to[i] = from[i] * inv;
        }
    }

    /** 1 / √(mean(v[at .. at + len)²) + eps), the mean of squares summed in double. */
    private float inverseRms(float[] v, int at, int len) {
        double sum = 0;
        for (int i = at; i < at + len; i++) {
            sum += v[i] * v[i];
        }
        return (float) (1.0 / Math.sqrt((float) (sum / len) + eps));
    }

    /** In place: z = logits / T, then z − max z − log Σ exp(z − max z) (the sum in double). */
    private static float[] logSoftmax(float[] logits, float temperature) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            logits[i] /= temperature;
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (float z : logits) {
            sum += Math.exp(z - max);
        }
        float logSum = (float) Math.log(sum);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = logits[i] - max - logSum;
        }
        return logits;
    }
}
