package dev.gspo.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import java.util.Arrays;

/**
 * The sparse MoE MLP of a {@code qwen3_moe} layer, as HF's {@code Qwen3MoeSparseMoeBlock} computes it:
 *
 * <pre>
 *   x        = h reshaped to [N, d]                          N = B·T tokens
 *   p        = softmax(x W_gateᵀ)                            [N, E]   router probabilities (float32)
 *   S_n      = top-k of p_n                                  k experts per token (or replayed ones, see below)
 *   w_{n,e}  = p_{n,e} · [e ∈ S_n]   (/ Σ_{e∈S_n} p_{n,e}  when norm_topk_prob)
 *   y_n      = Σ_{e∈S_n} w_{n,e} · down_e(silu(gate_e x_n) ⊙ up_e x_n)
 * </pre>
 *
 * Experts run only on their own tokens: the rows routed to expert e are gathered ({@code embedding} over the token
 * rows, which is differentiable), pushed through e's SwiGLU, weighted, and gathered back per token and slot. So an
 * expert costs its share of the tokens, not all of them, and autograd reaches the chosen experts and, through the
 * routing weights w, the router. The top-k itself runs on the JVM (the ids are needed there to group the rows anyway).
 *
 * <p>{@link ExpertRouting} may replace S_n (routing replay); the weights are then still π_θ's own probabilities,
 * gathered at the replayed experts and renormalised as usual, so the router keeps learning.
 */
final class SparseMoe {
    private SparseMoe() {}

    /** @param h [B, T, d] → [B, T, d] */
    static NDArray forward(NDArray h, PolicyWeights.Layer w, MoeConfig moe, ExpertRouting routing, int layer) {
        Shape shape = h.getShape();
        int d = Math.toIntExact(shape.get(shape.dimension() - 1));
        int n = Math.toIntExact(shape.size() / d);
        int experts = moe.numExperts();
        int k = moe.numExpertsPerTok();
        NDManager manager = h.getManager();
        NDArray x = h.reshape(n, d);
        NDArray probs = linear(x, w.router()).softmax(-1); // [N, E]
        int[] chosen = topK(probs.stopGradient().toFloatArray(), n, experts, k);
        int[] used = routing.route(layer, chosen, n, k);
        check(used, n, experts, k, layer);

        float[] mask = new float[n * experts];
        int[] count = new int[experts];
        for (int i = 0; i < n * k; i++) {
            mask[(i / k) * experts + used[i]] = 1f;
            count[used[i]]++;
        }
        NDArray weights = probs.mul(manager.create(mask, new Shape(n, experts))); // [N, E], 0 off the chosen set
        if (moe.normTopkProb()) {
            weights = weights.div(weights.sum(new int[] {-1}, true));
        }
        // rows grouped by expert: slot r of the concatenated expert outputs holds token rowToken[r] via expert e
        int[] start = new int[experts + 1];
        for (int e = 0; e < experts; e++) {
            start[e + 1] = start[e] + count[e];
        }
        int[] fill = Arrays.copyOf(start, experts);
        long[] rowToken = new long[n * k];
        long[] rowWeight = new long[n * k];
        long[] slotRow = new long[n * k];
        for (int i = 0; i < n * k; i++) {
            int e = used[i];
            int r = fill[e]++;
            rowToken[r] = i / k;
            rowWeight[r] = (long) (i / k) * experts + e;
            slotRow[i] = r;
        }
        NDList outputs = new NDList();
        for (int e = 0; e < experts; e++) {
            if (count[e] == 0) {
                continue;
            }
            NDArray idx = manager.create(Arrays.copyOfRange(rowToken, start[e], start[e + 1]));
            NDArray xe = gather(idx, x); // [n_e, d]
            PolicyWeights.Expert ex = w.experts().get(e);
            NDArray gate = linear(xe, ex.gate());
            outputs.add(linear(gate.mul(Activation.sigmoid(gate)).mul(linear(xe, ex.up())), ex.down()));
        }
        NDArray y = outputs.size() == 1 ? outputs.head() : NDArrays.concat(outputs, 0); // [N·k, d]
        NDArray wr = gather(manager.create(rowWeight), weights.reshape((long) n * experts, 1)); // [N·k, 1]
        NDArray weighted = y.mul(wr);
        NDArray perSlot = gather(manager.create(slotRow, new Shape(n, k)), weighted); // [N, k, d]
        return perSlot.sum(new int[] {1}).reshape(shape);
    }

    /** Each row's k largest entries, in descending order (lower index first on ties, as a stable sort). */
    static int[] topK(float[] p, int rows, int cols, int k) {
        int[] out = new int[rows * k];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int s = 0; s < k; s++) {
                int best = -1;
                for (int c = 0; c < cols; c++) {
                    if (taken(out, r * k, s, c)) {
                        continue;
                    }
                    if (best < 0 || p[base + c] > p[base + best]) {
                        best = c;
                    }
                }
                out[r * k + s] = best;
            }
        }
        return out;
    }

    private static boolean taken(int[] out, int from, int count, int c) {
        for (int i = 0; i < count; i++) {
            if (out[from + i] == c) {
                return true;
            }
        }
        return false;
    }

    private static void check(int[] used, int n, int experts, int k, int layer) {
        if (used.length != n * k) {
            throw new IllegalArgumentException(
                    "layer " + layer + ": routing gave " + used.length + " expert ids for " + n + " tokens × k = " + k);
        }
        for (int i = 0; i < used.length; i++) {
            if (used[i] < 0 || used[i] >= experts) {
                throw new IllegalArgumentException(
                        "layer " + layer + ": expert id " + used[i] + " outside [0, " + experts + ")");
            }
            for (int j = (i / k) * k; j < i; j++) {
                if (used[j] == used[i]) {
                    throw new IllegalArgumentException(
                            "layer " + layer + ": token " + i / k + " routed twice to " + "expert " + used[i]);
                }
            }
        }
    }

    /** rows of {@code table} at {@code idx} (int64, any shape) → idx.shape + [cols]; differentiable in table. */
    private static NDArray gather(NDArray idx, NDArray table) {
        return idx.getNDArrayInternal()
                .embedding(idx, table, SparseFormat.DENSE)
                .singletonOrThrow();
    }

    private static NDArray linear(NDArray x, NDArray weight) {
        return x.getNDArrayInternal().linear(x, weight, null).singletonOrThrow();
    }
}
