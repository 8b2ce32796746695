package dev.gspo.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Java matrix–vector kernel against a double-precision reference, split over threads and not, and the in-place
 * views it reads libtorch's storage through.
 */
class MatVecTest {

    @Test
    void aProductSplitOverThreadsEqualsTheDoublePrecisionReference() {
        int rows = 1001; // not a multiple of the thread count
        int cols = 131; // not a multiple of the 8 accumulators: the tail runs
        assertThat((long) rows * cols).isGreaterThanOrEqualTo(MatVec.PARALLEL_MIN_FLOATS);
        SplittableRandom rng = new SplittableRandom(3);
        try (Arena arena = Arena.ofShared()) { // read by the pool's threads too
            MemorySegment w = arena.allocate((long) rows * cols * Float.BYTES, 64);
            float[] wHeap = new float[rows * cols];
            for (int i = 0; i < wHeap.length; i++) {
                wHeap[i] = (float) rng.nextGaussian();
                w.setAtIndex(MatVec.F32, i, wHeap[i]);
            }
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) {
                x[i] = (float) rng.nextGaussian();
            }
            float[] alone = new float[rows];
            MatVec.multiply(null, w, rows, cols, x, alone);
            float[] split = new float[rows];
            for (int threads = 2; threads <= 3; threads++) {
                java.util.Arrays.fill(split, Float.NaN);
                MatVec.Pool pool = MatVec.tryAcquire(threads);
                assertThat(pool).as("the pool is free in this test").isNotNull();
                try {
                    MatVec.multiply(pool, w, rows, cols, x, split);
                } finally {
                    MatVec.release(pool);
                }
                // every row computed once, by whichever thread, in the same order: bit for bit the single-thread result
                assertThat(split).as("%d threads", threads).containsExactly(alone);
            }
            for (int r = 0; r < rows; r++) {
                double exact = 0;
                double magnitude = 0;
                for (int i = 0; i < cols; i++) {
                    exact += (double) wHeap[r * cols + i] * x[i];
                    magnitude += Math.abs((double) wHeap[r * cols + i] * x[i]);
                }
                assertThat((double) alone[r])
                        .as("row %d", r)
                        .isCloseTo(exact, org.assertj.core.api.Assertions.within(1e-6 * magnitude));
            }
        }
    }

    @Test
    void bothKernelsDotAndAxpyAsTheDoublePrecisionReferenceAndTheTestsRunTheVectorOne() {
        // surefire passes --add-modules jdk.incubator.vector (djl.jvm.args), as every launcher of the project does
        assertThat(MatVec.KERNEL).isInstanceOf(VectorDot.class);
        SplittableRandom rng = new SplittableRandom(8);
        for (int n : new int[] {1, 7, 8, 15, 16, 63, 64, 65, 96, 131, 512}) { // tails of every kind
            float[] w = new float[n + 3];
            float[] x = new float[n + 5];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rng.nextGaussian();
            }
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rng.nextGaussian();
            }
            MemorySegment segment = Arena.ofAuto().allocate((long) w.length * Float.BYTES, 64); // native, as libtorch's
            MemorySegment.copy(w, 0, segment, MatVec.F32, 0, w.length);
            double exact = 0;
            double magnitude = 0;
            for (int i = 0; i < n; i++) { // from weight 3 on, against x from 5 on: both offsets used
                exact += (double) w[3 + i] * x[5 + i];
                magnitude += Math.abs((double) w[3 + i] * x[5 + i]);
            }
            for (MatVec.Dot kernel : new MatVec.Dot[] {new MatVec.ScalarDot(), new VectorDot()}) {
                assertThat((double) kernel.dot(segment, 3L * Float.BYTES, x, 5, n))
                        .as("%s, n = %d", kernel, n)
                        .isCloseTo(exact, org.assertj.core.api.Assertions.within(1e-6 * magnitude));
                float[] y = x.clone();
                kernel.axpy(0.75f, segment, 3L * Float.BYTES, y, 5, n); // y[5 + i] += 0.75 · w[3 + i]
                for (int i = 0; i < y.length; i++) {
                    double want = i < 5 || i >= 5 + n ? x[i] : x[i] + 0.75 * w[3 + i - 5];
                    assertThat((double) y[i])
                            .as("%s axpy, n = %d, index %d", kernel, n, i)
                            .isCloseTo(want, org.assertj.core.api.Assertions.within(1e-6 * (1 + Math.abs(want))));
                }
            }
        }
    }

    @Test
    void aWorkersFailureReachesTheCallerInsteadOfHangingIt() {
        int rows = 512;
        int cols = 256;
        try (Arena arena = Arena.ofConfined()) { // readable by the calling thread only: the worker's range fails
            MemorySegment w = arena.allocate((long) rows * cols * Float.BYTES, 64);
            MatVec.Pool pool = MatVec.tryAcquire(2);
            try {
                assertThatThrownBy(() -> MatVec.multiply(pool, w, rows, cols, new float[cols], new float[rows]))
                        .hasMessageContaining("worker failed")
                        .hasCauseInstanceOf(WrongThreadException.class);
            } finally {
                MatVec.release(pool);
            }
        }
    }

    @Test
    void aViewReadsAndWritesTheArraysOwnStorageAndThereIsNoneForACopy() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.arange(0f, 12f).reshape(3, 4);
            MemorySegment view = MatVec.view(a);
            assertThat(view).isNotNull();
            assertThat(view.getAtIndex(MatVec.F32, 5)).isEqualTo(5f);
            view.setAtIndex(MatVec.F32, 5, -1f); // in place: the array sees it
            assertThat(a.getFloat(1, 1)).isEqualTo(-1f);

            assertThat(MatVec.view(a.transpose())).as("not contiguous").isNull();
            assertThat(MatVec.view(manager.zeros(new Shape(4), DataType.INT64)))
                    .as("not float32")
                    .isNull();
        }
    }
}
