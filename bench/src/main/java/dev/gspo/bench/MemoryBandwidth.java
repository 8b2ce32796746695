package dev.gspo.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.gspo.common.model.ModelConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The machine's memory bandwidth, the limit of decoding at small batch: a decode step reads every weight once whatever
 * the batch, so at batch 1 a token cannot come faster than (bytes of weights read per step) ÷ (read bandwidth).
 *
 * <ul>
 *   <li><b>read</b>: libtorch summing a float32 tensor far larger than the caches, with the same intra-op threads as
 *       every other row: bytes read per second (what a decode step's matmuls against the weights can at best do).
 *   <li><b>copy</b>: one JVM thread copying between two off-heap buffers of the same size (pre-touched, so no page
 *       faults are timed): bytes copied per second (each byte is read once and written once).
 * </ul>
 * Best of the repetitions in about {@code seconds}; 1 GB = 10⁹ bytes.
 */
final class MemoryBandwidth {
    private MemoryBandwidth() {}

    /** Bytes read per second (GB/s) by libtorch's sum over {@code bytes} of float32. */
    static double readGBs(NDManager manager, long bytes, double seconds) {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.ones(new Shape(bytes / Float.BYTES));
            a.sum().close(); // warm-up; the tensor is already touched by ones()
            double best = 0;
            long end = System.nanoTime() + (long) (seconds * 1e9);
            int reps = 0;
            while (reps < 3 || System.nanoTime() < end) {
                long t0 = System.nanoTime();
                NDArray s = a.sum();
                long dt = System.nanoTime() - t0;
                s.close();
                best = Math.max(best, bytes / (dt / 1e9) / 1e9);
                reps++;
            }
            return best;
        }
    }

    /**
     * Bytes of weights read per second (GB/s) by libtorch's matrix-vector product, as a batch-1 decode step computes
     * it: one row x [1, 512] through each of K weight matrices W [2048, 512] in turn (y = x Wᵀ, {@code linear}), K·4 MB
     * ≈ {@code bytes} in all, far larger than the caches, so every weight comes from memory. This is what a decode step
     * at batch 1 can at best do with libtorch's kernels; on the machine of docs/BENCHMARKS.md it is well below the
     * {@link #readGBs sum} rate (the product does not stream memory as fast as a reduction), so both are reported.
     */
    static double matVecGBs(NDManager manager, long bytes, double seconds) {
        int out = 2048;
        int in = 512;
        long perMatrix = (long) out * in * Float.BYTES;
        int k = (int) Math.max(1, bytes / perMatrix);
        try (NDManager m = manager.newSubManager()) {
            NDArray[] w = new NDArray[k];
            for (int i = 0; i < k; i++) {
                w[i] = m.ones(new Shape(out, in)).mul(1f / in);
            }
            NDArray x = m.ones(new Shape(1, in));
            pass(m, x, w); // warm-up
            double best = 0;
            long end = System.nanoTime() + (long) (seconds * 1e9);
            int reps = 0;
            while (reps < 3 || System.nanoTime() < end) {
                long t0 = System.nanoTime();
                pass(m, x, w);
                long dt = System.nanoTime() - t0;
                best = Math.max(best, k * perMatrix / (dt / 1e9) / 1e9);
                reps++;
            }
            return best;
        }
    }

    /** x through every matrix once; the outputs are freed after the pass. */
    private static void pass(NDManager manager, NDArray x, NDArray[] w) {
        try (NDManager scope = manager.newSubManager()) {
            for (NDArray wi : w) {
                NDArray y = x.getNDArrayInternal().linear(x, wi, null).singletonOrThrow();
                y.attach(scope);
            }
        }
    }

    /** Bytes copied per second (GB/s) by one thread between two off-heap buffers of {@code bytes}. */
    static double copyGBs(long bytes, double seconds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment from = arena.allocate(bytes, 64);
            MemorySegment to = arena.allocate(bytes, 64);
            from.fill((byte) 1);
            to.fill((byte) 0);
            MemorySegment.copy(from, 0, to, 0, bytes); // warm-up
            double best = 0;
            long end = System.nanoTime() + (long) (seconds * 1e9);
            int reps = 0;
            while (reps < 3 || System.nanoTime() < end) {
                long t0 = System.nanoTime();
                MemorySegment.copy(from, 0, to, 0, bytes);
                long dt = System.nanoTime() - t0;
                best = Math.max(best, bytes / (dt / 1e9) / 1e9);
                reps++;
            }
            return best;
        }
    }

    /**
     * Bytes a cached decode of {@code rows} rows (prompt p, n new tokens) must read from memory at the least: every
     * step reads each layer's weights and the LM head once for all rows, and each row's keys and values so far:
     *
     * <pre>
     *   bytes = Σ_{k=0}^{n-1} [ 4·(P_layers + V·d) + rows · 4 · 2·L·Hkv·hd · (p + k) ]
     * </pre>
     * (P_layers as in {@link Flops}; norms and the embedding rows looked up are negligible). The memory-bound limit of
     * the cell is then rows·n new tokens in bytes ÷ read bandwidth seconds.
     */
    static double decodeBytes(ModelConfig c, int rows, int p, int n) {
        double weights = 4.0 * (new Flops(c).layerParams() + (double) c.vocabSize() * c.hiddenSize());
        double kvPerPosition = 4.0 * 2 * c.numHiddenLayers() * c.numKeyValueHeads() * c.headDim();
        double total = 0;
        for (int k = 0; k < n; k++) {
            total += weights + rows * kvPerPosition * (p + k);
        }
        return total;
    }

    /** The memory-bound limit of a cached decode cell in new tokens per second at {@code readGBs}. */
    static double decodeLimitTokensPerSecond(ModelConfig c, int rows, int p, int n, double readGBs) {
        return rows * (double) n / (decodeBytes(c, rows, p, n) / (readGBs * 1e9));
    }
}
