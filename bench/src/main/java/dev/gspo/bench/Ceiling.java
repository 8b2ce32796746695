package dev.gspo.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** The machine's float32 matmul throughput with the same libtorch threads: the ceiling every other row is held to. */
final class Ceiling {
    private Ceiling() {}

    /** Best GFLOP/s (libtorch runs CPU ops synchronously: the call returns when the product is done) of an n×n by n×n matmul (2n³ FLOPs) over repetitions lasting about {@code seconds}. */
    static double matmulGflops(NDManager manager, int n, double seconds) {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
            for (int i = 0; i < 2; i++) {
                a.matMul(b).close();
            }
            double best = 0;
            long end = System.nanoTime() + (long) (seconds * 1e9);
            int reps = 0;
            while (reps < 3 || System.nanoTime() < end) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b);
                long dt = System.nanoTime() - t0;
                c.close();
                best = Math.max(best, 2.0 * n * n * n / (dt / 1e9) / 1e9);
                reps++;
            }
            return best;
        }
    }
}
