package dev.gspo.common.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Matrix–vector products in Java over float32 weights read in place from native memory (a libtorch tensor's storage
 * seen through {@code NDArray.toByteBuffer(true)}, no copy): the kernel of {@link RowDecodeStep}.
 *
 * <pre>
 *   y[r] = Σ_i W[r, i] · x[i],   W row-major [rows, cols] float32 in native byte order,   r ∈ [0, rows)
 * </pre>
 *
 * Each dot product runs 8 independent float accumulators over i (so the loads of consecutive columns overlap) and
 * adds them pairwise at the end, ((a0+a1)+(a2+a3))+((a4+a5)+(a6+a7)), then the tail. Scalar Java, no incubator
 * module: measured on this project's 2-core machine (docs/BENCHMARKS.md, "Batch-1 decode, round 2"), this kernel
 * over a native segment read 11.1–11.2 GB/s on one thread (libtorch's own batch-1 matrix-vector product: 11.1 GB/s)
 * and the Vector API's 4-row FMA kernel 13.4 GB/s; with two threads the scalar kernel was not slower (10.7–16.8 against
 * 11.9–12.6 GB/s). The Vector API would need {@code --add-modules jdk.incubator.vector} at every launch, so the scalar
 * kernel is used.
 *
 * <p><b>Threads.</b> A product of at least {@link #PARALLEL_MIN_FLOATS} weights is split by rows into
 * {@code threads} contiguous ranges: the caller computes the first, the workers of one process-wide pool the others
 * (daemon threads, started on first use, each waiting on its own generation counter: no allocation per product).
 * Smaller products stay on the caller (handing a range to another thread costs more than it saves). One caller uses
 * the pool at a time ({@link #tryAcquire}); a caller that does not get it computes everything itself.
 */
final class MatVec {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** Products smaller than this (in weights, = 256 KiB) run on the caller alone. */
    static final long PARALLEL_MIN_FLOATS = 1L << 16;

    private static final int SPINS = 4000;
    private static final ReentrantLock POOL_LOCK = new ReentrantLock();
    private static Pool pool; // guarded by POOL_LOCK

    private MatVec() {}

    /**
     * A view of {@code a}'s own native storage (DJL's {@code toByteBuffer(true)}: no copy, valid while {@code a}
     * lives), or null when there is none to read in place: not on the CPU, not float32, or not contiguous (DJL then
     * hands out a view of a contiguous copy, a new one per call, so two views at different addresses tell it).
     */
    static MemorySegment view(NDArray a) {
        if (a == null || !a.getDevice().equals(Device.cpu()) || a.getDataType() != DataType.FLOAT32 || a.isSparse()) {
            return null;
        }
        MemorySegment first = MemorySegment.ofBuffer(a.toByteBuffer(true));
        MemorySegment second = MemorySegment.ofBuffer(a.toByteBuffer(true));
        if (first.address() != second.address() || first.byteSize() != a.size() * Float.BYTES) {
            return null;
        }
        return first;
    }

    /** y[r] = W[r, :] · x for r ∈ [lo, hi). */
    static void rows(MemorySegment w, int cols, float[] x, float[] y, int lo, int hi) {
        for (int r = lo; r < hi; r++) {
            y[r] = dot(w, (long) r * cols * Float.BYTES, x, cols);
        }
    }

    /** Σ_i W[offset + 4i] · x[i] over i ∈ [0, n). */
    static float dot(MemorySegment w, long offset, float[] x, int n) {
        return dot(w, offset, x, 0, n);
    }

    /** Σ_i W[offset + 4i] · x[from + i] over i ∈ [0, n), with 8 accumulators added pairwise. */
    static float dot(MemorySegment w, long offset, float[] x, int from, int n) {
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            long o = offset + (long) i * Float.BYTES;
            int k = from + i;
            a0 += w.get(F32, o) * x[k];
            a1 += w.get(F32, o + 4) * x[k + 1];
            a2 += w.get(F32, o + 8) * x[k + 2];
            a3 += w.get(F32, o + 12) * x[k + 3];
            a4 += w.get(F32, o + 16) * x[k + 4];
            a5 += w.get(F32, o + 20) * x[k + 5];
            a6 += w.get(F32, o + 24) * x[k + 6];
            a7 += w.get(F32, o + 28) * x[k + 7];
        }
        float s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
        for (; i < n; i++) {
            s += w.get(F32, offset + (long) i * Float.BYTES) * x[from + i];
        }
        return s;
    }

    /**
     * The process-wide pool with {@code threads − 1} workers (grown if an earlier caller asked for fewer), held by
     * the calling thread until {@link #release}; null (compute alone) when {@code threads} ≤ 1 or another caller holds
     * it.
     */
    static Pool tryAcquire(int threads) {
        if (threads <= 1 || !POOL_LOCK.tryLock()) {
            return null;
        }
        if (pool == null || pool.workers.length < threads - 1) {
            if (pool != null) {
                pool.stop();
            }
            pool = new Pool(threads - 1);
        }
        pool.caller = Thread.currentThread();
        pool.threads = threads;
        return pool;
    }

    static void release(Pool p) {
        if (p != null) {
            p.caller = null;
            POOL_LOCK.unlock();
        }
    }

    /**
     * y = W x with the rows split over the caller and {@code p}'s workers when the product is large enough; {@code p}
     * null computes on the caller.
     */
    static void multiply(Pool p, MemorySegment w, int rows, int cols, float[] x, float[] y) {
        if (p == null || (long) rows * cols < PARALLEL_MIN_FLOATS) {
            rows(w, cols, x, y, 0, rows);
        } else {
            p.run(w, rows, cols, x, y);
        }
    }

    /** Worker threads that each compute one row range of the posted product. */
    static final class Pool {
        private final Thread[] workers;
        private final AtomicInteger remaining = new AtomicInteger();
        private volatile int generation;
        private volatile boolean stopped;
        private volatile Thread caller;
        private volatile Throwable failure; // a worker's, rethrown by the caller
        private int threads; // ranges of the current holder: caller + threads − 1 workers (≤ workers.length + 1)
        // the posted product, published by the volatile write of `generation`
        private MemorySegment w;
        private int rows;
        private int cols;
        private float[] x;
        private float[] y;
        private int parts;

        private Pool(int size) {
            workers = new Thread[size];
            for (int i = 0; i < size; i++) {
                int part = i + 1;
                workers[i] =
                        Thread.ofPlatform().daemon().name("gspo-matvec-" + part).start(() -> work(part));
            }
        }

        private void run(MemorySegment w, int rows, int cols, float[] x, float[] y) {
            this.w = w;
            this.rows = rows;
            this.cols = cols;
            this.x = x;
            this.y = y;
            this.parts = threads;
            remaining.set(parts - 1);
            generation++; // publishes the fields above to the workers
            for (int i = 0; i < parts - 1; i++) {
                LockSupport.unpark(workers[i]);
            }
            RuntimeException own = null;
            try {
                MatVec.rows(w, cols, x, y, 0, rows / parts);
            } catch (RuntimeException e) {
                own = e; // still wait for the workers: they write into y
            }
            int spins = 0;
            while (remaining.get() != 0) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            Throwable theirs = failure;
            failure = null;
            if (own != null || theirs != null) {
                throw own != null ? own : new IllegalStateException("a matrix-vector worker failed", theirs);
            }
        }

        private void work(int part) {
            int seen = 0;
            while (true) {
                int spins = 0;
                int g;
                while ((g = generation) == seen) {
                    if (stopped) {
                        return;
                    }
                    if (++spins < SPINS) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                }
                seen = g;
                int n = parts;
                if (part < n) {
                    try {
                        MatVec.rows(
                                w, cols, x, y, (int) ((long) rows * part / n), (int) ((long) rows * (part + 1) / n));
                    } catch (RuntimeException | Error e) { // reported to the caller, who must not wait forever
                        failure = e;
                    }
                    if (remaining.decrementAndGet() == 0) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }

        private void stop() {
            stopped = true;
            for (Thread t : workers) {
                LockSupport.unpark(t);
            }
        }
    }
}
