package dev.gspo.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;

/**
 * The forward pass of a llama/qwen2 decoder, as Hugging Face computes it, over a {@link PolicyWeights}.
 *
 * <pre>
 *   x   = embed_tokens[ids]                                             [B, T, d]
 *   per layer:
 *     h = rmsnorm(x, input_layernorm)
 *     q = rope(h Wqᵀ + bq) [B, H, T, hd];  k, v = rope(h Wkᵀ + bk), h Wvᵀ + bv   [B, Hkv, T, hd]
 *     a = softmax(q kᵀ / √hd + bias) v                                  (each kv head serves H/Hkv query heads)
 *     x = x + a Woᵀ
 *     h = rmsnorm(x, post_attention_layernorm)
 *     x = x + (silu(h Wgᵀ) ⊙ h Wuᵀ) Wdᵀ
 *   logits = rmsnorm(x, norm) Wlmᵀ                                      [B, T, V]
 *   rmsnorm(x, w) = w ⊙ x / √(mean(x²) + eps)
 * </pre>
 *
 * The attention {@code bias} is additive, {@code [B, 1, T, S]}, 0 where a query may attend to a key and −∞ elsewhere;
 * callers build it (causal mask plus padding) so that the same code serves left-padded decode and right-padded
 * teacher forcing. Results attach to the manager of the input ids: run calls inside an {@code NDScope}.
 */
public final class Transformer implements AutoCloseable {
    private final ModelConfig config;
    private final PolicyWeights weights;
    private final RotaryEmbedding rope;
    private final float attentionScale;

    public Transformer(ModelConfig config, PolicyWeights weights) {
        this.config = config;
        this.weights = weights;
        this.rope = new RotaryEmbedding(config, weights.manager());
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    public ModelConfig config() {
        return config;
    }

    public PolicyWeights weights() {
        return weights;
    }

    /**
     * Runs every decoder block and returns the residual stream before the final norm.
     *
     * @param ids       [B, T] int64 token ids
     * @param positions [B, T] int64 rotary positions
     * @param bias      [B, 1, T, S] float32 additive mask; S = T without a cache, cache length + T with one
     * @param cache     null for a full forward; else this step's keys/values are appended and attention spans it
     * @return [B, T, d]
     */
    public NDArray hidden(NDArray ids, NDArray positions, NDArray bias, KvCache cache) {
        long b = ids.getShape().get(0);
        long t = ids.getShape().get(1);
        NDArray x = ids.getNDArrayInternal().embedding(ids, weights.embedTokens(), SparseFormat.DENSE).singletonOrThrow();
        RotaryEmbedding.Angles angles = rope.angles(positions);
        NDArray bias5 = bias.expandDims(1); // [B, 1, 1, T, S]: broadcast over kv heads and query groups
        int layerIndex = 0;
        for (PolicyWeights.Layer layer : weights.layers()) {
            x = x.add(attention(layer, rmsNorm(x, layer.inputNorm()), angles, bias5, cache, layerIndex++, b, t));
            NDArray h = rmsNorm(x, layer.postNorm());
            NDArray gate = linear(h, layer.gate(), null);
            NDArray mlp = linear(gate.mul(Activation.sigmoid(gate)).mul(linear(h, layer.up(), null)), layer.down(), null);
            x = x.add(mlp);
        }
        if (cache != null) {
            cache.advance(Math.toIntExact(t));
        }
        return x;
    }

    /** Final norm and LM head: [..., d] → [..., V]. */
    public NDArray logits(NDArray hidden) {
        return linear(rmsNorm(hidden, weights.finalNorm()), weights.lmHead(), null);
    }

    private NDArray attention(PolicyWeights.Layer w, NDArray h, RotaryEmbedding.Angles angles, NDArray bias5,
                              KvCache cache, int layerIndex, long b, long t) {
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int hd = config.headDim();
        int group = config.kvGroupSize();
        NDArray q = rope.apply(splitHeads(linear(h, w.q(), w.qBias()), b, t, heads, hd), angles);
        NDArray k = rope.apply(splitHeads(linear(h, w.k(), w.kBias()), b, t, kvHeads, hd), angles);
        NDArray v = splitHeads(linear(h, w.v(), w.vBias()), b, t, kvHeads, hd);
        if (cache != null) {
            NDArray[] kv = cache.append(layerIndex, k, v);
            k = kv[0];
            v = kv[1];
        }
        long s = k.getShape().get(2);
        // Grouped-query attention without copying k/v: the `group` query heads that share kv head j are stacked
        // along the time axis, q [B, H, T, hd] → [B, Hkv, group·T, hd] (head index = j·group + g, as HF's repeat_kv).
        NDArray qg = q.reshape(b, kvHeads, (long) group * t, hd);
        NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2))                 // [B, Hkv, group·T, S]
                .reshape(new Shape(b, kvHeads, group, t, s))
                .mul(attentionScale)
                .add(bias5);
        NDArray probs = scores.softmax(-1).reshape(b, kvHeads, (long) group * t, s);
        NDArray out = probs.matMul(v)                                           // [B, Hkv, group·T, hd]
                .reshape(b, heads, t, hd)
                .transpose(0, 2, 1, 3)
                .reshape(b, t, (long) heads * hd);
        return linear(out, w.o(), null);
    }

    /** [B, T, heads·hd] → [B, heads, T, hd] */
    private static NDArray splitHeads(NDArray x, long b, long t, int heads, int hd) {
        return x.reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return x.div(meanSquare.add(config.rmsNormEps()).sqrt()).mul(weight);
    }

    /** y = x Wᵀ + b (torch.nn.functional.linear). */
    private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        NDList out = x.getNDArrayInternal().linear(x, weight, bias);
        return out.singletonOrThrow();
    }

    @Override
    public void close() {
        rope.close();
    }
}
