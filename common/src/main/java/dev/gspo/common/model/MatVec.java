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
 * The dot-product kernel ({@link #KERNEL}) is the JDK's Vector API ({@link VectorDot}: 4 vector FMA accumulators,
 * 16 floats wide with AVX-512) when the JVM runs with {@code --add-modules jdk.incubator.vector} (every launcher of
 * this project passes it), else a scalar kernel ({@link ScalarDot}: 8 float accumulators). Measured in the whole
 * decode step (docs/BENCHMARKS.md, "Batch-1 decode, round 2", one thread, loaded machine), a batch-1 step of the
 * 25M model took 4.6 ms with the Vector API kernel and 18.3 ms with the scalar one, against 10.6–11.6 ms for
 * libtorch's own step: hence the incubator module, with the scalar kernel as the fallback where it is absent.
 *
 * <p><b>Threads.</b> A product of at least {@link #PARALLEL_MIN_FLOATS} weights is split by rows into
 * {@code threads} contiguous ranges: the caller computes the first, the workers of one process-wide pool the others
 * (daemon threads, started on first use, spinning briefly and then parking on the pool's generation counter: no
 * allocation per product).
 * Smaller products stay on the caller (handing a range to another thread costs more than it saves). One caller uses
 * the pool at a time ({@link #tryAcquire}); a caller that does not get it computes everything itself.
 */
final class MatVec {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** The dot-product kernel of this JVM ({@link #pickKernel}). */
    static final Dot KERNEL = pickKernel();

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
            y[r] = KERNEL.dot(w, (long) r * cols * Float.BYTES, x, 0, cols);
        }
    }

    /** Σ_i W[offset + 4i] · x[i] over i ∈ [0, n), with {@link #KERNEL}. */
    static float dot(MemorySegment w, long offset, float[] x, int n) {
        return KERNEL.dot(w, offset, x, 0, n);
    }

    /** Σ_i W[offset + 4i] · x[from + i] over i ∈ [0, n), with {@link #KERNEL}. */
    static float dot(MemorySegment w, long offset, float[] x, int from, int n) {
        return KERNEL.dot(w, offset, x, from, n);
    }

    /** A dot product of native float32 weights with a float[] slice, and the scaled sum of such a row into one. */
    interface Dot {
        /** Σ_i W[offset + 4i] · x[from + i] over i ∈ [0, n). */
        float dot(MemorySegment w, long offset, float[] x, int from, int n);

        /** y[from + i] += a · W[offset + 4i] for i ∈ [0, n) (attention's probability-weighted sum of values). */
        void axpy(float a, MemorySegment w, long offset, float[] y, int from, int n);
    }

    /** The scalar kernel: 8 float accumulators added pairwise, ((a0+a1)+(a2+a3))+((a4+a5)+(a6+a7)), then the tail. */
    static final class ScalarDot implements Dot {
        @Override
        public float dot(MemorySegment w, long offset, float[] x, int from, int n) {
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

        @Override
        public void axpy(float a, MemorySegment w, long offset, float[] y, int from, int n) {
            for (int i = 0; i < n; i++) {
                y[from + i] += a * w.get(F32, offset + (long) i * Float.BYTES);
            }
        }

        @Override
        public String toString() {
            return "scalar";
        }
    }

    /**
     * The Vector API kernel ({@link VectorDot}) when {@code jdk.incubator.vector} is in the boot layer (the JVM was
     * started with {@code --add-modules jdk.incubator.vector}) and {@code -Dgspo.matvec.scalar=true} is not set; else
     * the scalar kernel. {@link VectorDot} is loaded by name only then, so this class never links against the module
     * when it is absent.
     */
    static Dot pickKernel() {
        if (!Boolean.getBoolean("gspo.matvec.scalar")
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                return (Dot) Class.forName(MatVec.class.getPackageName() + ".VectorDot")
                        .getDeclaredConstructor()
                        .newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                return new ScalarDot();
            }
        }
        return new ScalarDot();
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
