package dev.gspo.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;

/**
 * The forward pass of a llama/qwen2/qwen3/qwen3_moe decoder, as Hugging Face computes it, over a
 * {@link PolicyWeights}.
 *
 * <pre>
 *   x   = embed_tokens[ids]                                             [B, T, d]
 *   per layer:
 *     h = rmsnorm(x, input_layernorm)
 *     q = rope(N_q(h Wqᵀ + bq)) [B, H, T, hd];  k, v = rope(N_k(h Wkᵀ + bk)), h Wvᵀ + bv   [B, Hkv, T, hd]
 *         N_q, N_k = per-head rmsnorm over hd with q_norm / k_norm (qwen3, qwen3_moe), identity otherwise
 *     a = softmax(q kᵀ / √hd + bias) v                                  (each kv head serves H/Hkv query heads)
 *     x = x + a Woᵀ
 *     h = rmsnorm(x, post_attention_layernorm)
 *     x = x + (silu(h Wgᵀ) ⊙ h Wuᵀ) Wdᵀ          dense layer
 *     x = x + moe(h)                              sparse layer of qwen3_moe ({@link SparseMoe})
 *   logits = rmsnorm(x, norm) Wlmᵀ                                      [B, T, V]
 *   rmsnorm(x, w) = w ⊙ x / √(mean(x²) + eps)
 * </pre>
 *
 * The attention {@code bias} is additive, {@code [B, 1, T, S]}, 0 where a query may attend to a key and −∞ elsewhere;
 * callers build it (causal mask plus padding) so that the same code serves left-padded decode and right-padded
 * teacher forcing. Results attach to the manager of the input ids: run calls inside an {@code NDScope}.
 *
 * <p><b>LoRA.</b> With {@link LoraWeights}, every adapted linear layer computes {@code x Wᵀ + (α/r)·(x Aᵀ) Bᵀ}
 * ({@link LoraConfig}); W stays as it is (the adapters are what is trained). The fused decode projections
 * ({@link #decodeWeights}) are then built from the merged weights W + (α/r)·B A, and the layers that stay unfused
 * (o, down) add the low-rank term, so both paths compute the same function.
 *
 * <p><b>Many adapters in one decode batch.</b> With {@link AdapterRows} (decode path only) the fused projections run
 * over the unmerged base weights for every row, and each row's own adapter ({@link DecodeAdapter}) adds its low-rank
 * term to that row: y = x Wᵀ, then y[rows of g] += (x[rows of g] Aᵀ) Bᵀ per adapter group g.
 */
public final class Transformer implements AutoCloseable {
    private final ModelConfig config;
    private final PolicyWeights weights;
    private final RotaryEmbedding rope;
    private final float attentionScale;
    private final LoraWeights lora;

    public Transformer(ModelConfig config, PolicyWeights weights) {
        this(config, weights, null);
    }

    /** @param lora the adapters over {@code weights}, or null for the plain model */
    public Transformer(ModelConfig config, PolicyWeights weights, LoraWeights lora) {
        this.config = config;
        this.weights = weights;
        this.lora = lora;
        this.rope = new RotaryEmbedding(config, weights.manager());
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    public ModelConfig config() {
        return config;
    }

    public PolicyWeights weights() {
        return weights;
    }

    /** The adapters this forward adds, or null. */
    public LoraWeights lora() {
        return lora;
    }

    /**
     * Runs every decoder block and returns the residual stream before the final norm.
     *
     * @param ids       [B, T] int64 token ids
     * @param positions [B, T] int64 rotary positions
     * @param bias      [B, 1, T, S] float32 additive mask; S = T without a cache, cache length + T with one; null when
     *                  every query may see every key (a decode step with no left padding)
     * @param cache     null for a full forward; else this step's keys/values are appended and attention spans it
     * @return [B, T, d]
     */
    public NDArray hidden(NDArray ids, NDArray positions, NDArray bias, KvCache cache) {
        return hidden(ids, positions, bias, cache, null);
    }

    /**
     * As {@link #hidden(NDArray, NDArray, NDArray, KvCache)}; with {@code fused} (from {@link #decodeWeights}) each
     * block runs its fused projections: 10 fewer native ops per block, the same math up to float rounding.
     */
    public NDArray hidden(NDArray ids, NDArray positions, NDArray bias, KvCache cache, DecodeWeights fused) {
        return hidden(ids, positions, bias, cache, fused, ExpertRouting.FREE);
    }

    /**
     * As {@link #hidden(NDArray, NDArray, NDArray, KvCache, DecodeWeights)}, with {@code routing} seeing (and possibly
     * replacing) the experts of every sparse layer; it is not called for dense models.
     */
    public NDArray hidden(
            NDArray ids, NDArray positions, NDArray bias, KvCache cache, DecodeWeights fused, ExpertRouting routing) {
        return hidden(ids, positions, bias, cache, fused, routing, null);
    }

    /**
     * As {@link #hidden(NDArray, NDArray, NDArray, KvCache, DecodeWeights, ExpertRouting)}, with {@code adapters}
     * adding each row's own LoRA term to the fused projections (a decode batch mixing adapters over the unmerged base
     * weights: {@link AdapterRows}); null for none. Needs {@code fused}.
     */
    public NDArray hidden(
            NDArray ids,
            NDArray positions,
            NDArray bias,
            KvCache cache,
            DecodeWeights fused,
            ExpertRouting routing,
            AdapterRows adapters) {
        if (adapters != null && fused == null) {
            throw new IllegalArgumentException("per-row adapters need the fused decode weights");
        }
        long b = ids.getShape().get(0);
        long t = ids.getShape().get(1);
        NDArray x = ids.getNDArrayInternal()
                .embedding(ids, weights.embedTokens(), SparseFormat.DENSE)
                .singletonOrThrow();
        RotaryEmbedding.Angles angles = rope.angles(positions);
        NDArray bias5 = bias == null ? null : bias.expandDims(1); // [B, 1, 1, T, S]: over kv heads and query groups
        int layerIndex = 0;
        for (PolicyWeights.Layer layer : weights.layers()) {
            int i = layerIndex++;
            DecodeWeights.Layer f = fused == null ? null : fused.layer(i);
            if (f == null) {
                NDArray h = rmsNorm(x, layer.inputNorm());
                x = x.add(attention(layer, h, angles, bias5, cache, i, b, t));
                h = rmsNorm(x, layer.postNorm());
                x = x.add(
                        layer.sparse()
                                ? SparseMoe.forward(h, layer, config.moe(), routing, i)
                                : mlp(layer, null, h, h, i, adapters));
            } else { // the norm weights are folded into the fused projections (DecodeWeights): n(x), not n(x) ⊙ w
                NDArray n = normalized(x);
                x = x.add(fusedAttention(layer, f, n, angles, bias5, cache, i, b, t, adapters));
                n = normalized(x);
                x = x.add(
                        layer.sparse()
                                ? SparseMoe.forward(n.mul(layer.postNorm()), layer, config.moe(), routing, i)
                                : mlp(layer, f, n, adapters == null ? null : n.mul(layer.postNorm()), i, adapters));
            }
        }
        if (cache != null) {
            cache.advance(Math.toIntExact(t));
        }
        return x;
    }

    /**
     * SwiGLU of a dense layer, with the fused gate/up projection when {@code f} is given. {@code in} is what the
     * gate/up projection reads: h = rmsnorm(x, post_attention_layernorm) unfused, n(x) fused (the norm weight is in
     * Wgu); {@code h} is h itself, for the per-row adapters' low-rank term (null without adapters).
     */
    private NDArray mlp(
            PolicyWeights.Layer layer, DecodeWeights.Layer f, NDArray in, NDArray h, int i, AdapterRows adapters) {
        NDArray gate;
        NDArray up;
        if (f == null) {
            gate = project(in, layer.gate(), null, i, LoraTarget.GATE);
            up = project(in, layer.up(), null, i, LoraTarget.UP);
        } else { // fused from the merged weights when adapted
            NDArray fusedGateUp = linear(in, f.gateUp(), null);
            if (adapters != null) {
                fusedGateUp = adapters.add(fusedGateUp, h, i, DecodeAdapter.Part.GATE_UP);
            }
            NDList gu = fusedGateUp.split(new long[] {config.intermediateSize()}, 2);
            gate = gu.get(0);
            up = gu.get(1);
        }
        NDArray act = gate.mul(Activation.sigmoid(gate)).mul(up);
        NDArray down = project(act, layer.down(), null, i, LoraTarget.DOWN);
        return adapters == null ? down : adapters.add(down, act, i, DecodeAdapter.Part.DOWN);
    }

    /**
     * The fused projections of the current weights, for one generate call (close it when the call ends) or, for a
     * served version whose weights never change in place, for the version's life ({@link VersionDecodeWeights}). With
     * adapters they are fused from the merged weights W + (α/r)·B A (built for the call and freed at once).
     */
    public DecodeWeights decodeWeights(NDManager manager) {
        if (lora == null) {
            return new DecodeWeights(config, weights, manager);
        }
        try (PolicyWeights merged = lora.mergeInto(config, weights, manager)) {
            return new DecodeWeights(config, merged, manager);
        }
    }

    /** Final norm and LM head: [..., d] → [..., V]. */
    public NDArray logits(NDArray hidden) {
        return linear(rmsNorm(hidden, weights.finalNorm()), weights.lmHead(), null);
    }

    private NDArray attention(
            PolicyWeights.Layer w,
            NDArray h,
            RotaryEmbedding.Angles angles,
            NDArray bias5,
            KvCache cache,
            int layerIndex,
            long b,
            long t) {
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int hd = config.headDim();
        NDArray q = splitHeads(project(h, w.q(), w.qBias(), layerIndex, LoraTarget.Q), b, t, heads, hd);
        NDArray k = splitHeads(project(h, w.k(), w.kBias(), layerIndex, LoraTarget.K), b, t, kvHeads, hd);
        if (w.qNorm() != null) { // qwen3: per-head RMSNorm over hd, before RoPE
            q = rmsNorm(q, w.qNorm());
            k = rmsNorm(k, w.kNorm());
        }
        q = rope.apply(q, angles);
        k = rope.apply(k, angles);
        NDArray v = splitHeads(project(h, w.v(), w.vBias(), layerIndex, LoraTarget.V), b, t, kvHeads, hd);
        if (cache != null) {
            NDArray[] kv = cache.append(layerIndex, k, v);
            k = kv[0];
            v = kv[1];
        }
        return attend(w, q, k, v, bias5, b, t, true, layerIndex, null);
    }

    /**
     * The same attention with one q/k/v projection (whose query rows carry the 1/√hd scale) and one rotary pass over
     * the query and key heads together:
     * qkv [B, T, (H + 2·Hkv)·hd] → [B, H + 2·Hkv, T, hd] → rope over the first H + Hkv heads → q | k | v.
     * With q/k norms the scale sits in the stacked norm weight instead (see {@link DecodeWeights}), and one rmsnorm
     * runs over the query and key heads together before RoPE. {@code n} is the block's input normalised without the
     * norm weight (which is folded into Wqkv); per-row adapters read h = n ⊙ input_layernorm. For one token per row
     * (a decode step) [B, 1, (H + 2·Hkv)·hd] is already [B, H + 2·Hkv, 1, hd] in memory: reshaped, not transposed.
     */
    private NDArray fusedAttention(
            PolicyWeights.Layer w,
            DecodeWeights.Layer f,
            NDArray n,
            RotaryEmbedding.Angles angles,
            NDArray bias5,
            KvCache cache,
            int layerIndex,
            long b,
            long t,
            AdapterRows adapters) {
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int hd = config.headDim();
        NDArray qkv = linear(n, f.qkv(), f.qkvBias());
        if (adapters != null) {
            qkv = adapters.add(qkv, n.mul(w.inputNorm()), layerIndex, DecodeAdapter.Part.QKV);
        }
        NDArray heads4 = t == 1
                ? qkv.reshape(b, heads + 2L * kvHeads, 1, hd)
                : qkv.reshape(b, t, heads + 2L * kvHeads, hd).transpose(0, 2, 1, 3);
        NDList qkAndV = heads4.split(new long[] {heads + kvHeads}, 1);
        NDArray qk = qkAndV.get(0);
        if (f.qkNorm() != null) {
            qk = rmsNorm(qk, f.qkNorm()); // [H + Hkv, 1, hd] per-head weights
        }
        NDList qAndK = rope.apply(qk, angles).split(new long[] {heads}, 1);
        NDArray k = qAndK.get(1);
        NDArray v = qkAndV.get(1);
        if (cache != null) {
            NDArray[] kv = cache.append(layerIndex, k, v);
            k = kv[0];
            v = kv[1];
        }
        return attend(w, qAndK.get(0), k, v, bias5, b, t, false, layerIndex, adapters);
    }

    /** softmax(q kᵀ (· scale) + bias) v, then the output projection; q [B, H, T, hd], k and v [B, Hkv, S, hd]. */
    private NDArray attend(
            PolicyWeights.Layer w,
            NDArray q,
            NDArray k,
            NDArray v,
            NDArray bias5,
            long b,
            long t,
            boolean scale,
            int layerIndex,
            AdapterRows adapters) {
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int hd = config.headDim();
        int group = config.kvGroupSize();
        long s = k.getShape().get(2);
        // Grouped-query attention without copying k/v: the `group` query heads that share kv head j are stacked
        // along the time axis, q [B, H, T, hd] → [B, Hkv, group·T, hd] (head index = j·group + g, as HF's repeat_kv).
        NDArray qg = q.reshape(b, kvHeads, (long) group * t, hd);
        NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2)); // [B, Hkv, group·T, S]
        if (scale) {
            scores = Scalars.mul(scores, attentionScale);
        }
        if (bias5 != null) {
            scores = scores.reshape(new Shape(b, kvHeads, group, t, s)).add(bias5);
        }
        NDArray probs = scores.softmax(-1).reshape(b, kvHeads, (long) group * t, s);
        NDArray pv = probs.matMul(v); // [B, Hkv, group·T, hd]
        NDArray out = t == 1 // [B, H, 1, hd] is [B, 1, H·hd] in memory
                ? pv.reshape(b, 1, (long) heads * hd)
                : pv.reshape(b, heads, t, hd).transpose(0, 2, 1, 3).reshape(b, t, (long) heads * hd);
        NDArray o = project(out, w.o(), null, layerIndex, LoraTarget.O);
        return adapters == null ? o : adapters.add(o, out, layerIndex, DecodeAdapter.Part.O);
    }

    /** [B, T, heads·hd] → [B, heads, T, hd] */
    private static NDArray splitHeads(NDArray x, long b, long t, int heads, int hd) {
        return x.reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        return normalized(x).mul(weight);
    }

    /** n(x) = x / √(mean(x²) + eps) over the last axis: RMSNorm without its weight. */
    private NDArray normalized(NDArray x) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return x.div(meanSquare.add(config.rmsNormEps()).sqrt());
    }

    /** y = x Wᵀ + b, plus (α/r)·(x Aᵀ) Bᵀ when {@code target} of block {@code layer} is adapted. */
    private NDArray project(NDArray x, NDArray weight, NDArray bias, int layer, LoraTarget target) {
        NDArray y = linear(x, weight, bias);
        NDArray delta = lora == null ? null : lora.delta(layer, target, x);
        return delta == null ? y : y.add(delta);
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
