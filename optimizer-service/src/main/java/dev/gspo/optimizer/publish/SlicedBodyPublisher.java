package dev.gspo.optimizer.publish;

import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * A request body that hands the HTTP client read-only slices of one byte array or buffer, without copying it.
 *
 * <p>Why not {@code BodyPublishers.ofByteArray}: the JDK's publisher copies the whole array into 16 KB heap buffers
 * when the request is sent, so a 100 MB weight set becomes ~6 000 fresh buffers, all alive until the last one is
 * written, per replica and per attempt. Over a heap array the only copies left are the socket's own (heap → temporary
 * direct buffer, see {@link DirectSendBuffers}); over a direct buffer there are none. The bytes must not change while
 * a request is in flight (a published version's bytes never do; {@link DirectSendBuffers} keeps its leases' bytes).
 */
final class SlicedBodyPublisher implements HttpRequest.BodyPublisher {
    /** Slice size: large enough that per-item overhead vanishes, small enough to keep the socket's temp buffer modest. */
    static final int SLICE = 1 << 20;

    private final ByteBuffer body;
    private final int sliceSize;
    private final Runnable onLastSlice;
    private final IntConsumer beforeSlice;

    SlicedBodyPublisher(byte[] bytes) {
        this(bytes, SLICE, () -> {});
    }

    SlicedBodyPublisher(byte[] bytes, int sliceSize) {
        this(bytes, sliceSize, () -> {});
    }

    /** @param onLastSlice run once a subscription has handed over its last slice (before it completes) */
    SlicedBodyPublisher(byte[] bytes, int sliceSize, Runnable onLastSlice) {
        this(ByteBuffer.wrap(bytes), sliceSize, onLastSlice);
    }

    /**
     * @param body        the bytes from its position to its limit (not changed by this publisher: slices are views)
     * @param onLastSlice run once a subscription has handed over its last slice (before it completes)
     */
    SlicedBodyPublisher(ByteBuffer body, int sliceSize, Runnable onLastSlice) {
        this(body, sliceSize, onLastSlice, end -> {});
    }

    /**
     * @param body        the bytes from its position to its limit (not changed by this publisher: slices are views)
     * @param onLastSlice run once a subscription has handed over its last slice (before it completes)
     * @param beforeSlice called with the end of each slice (counted from the body's start) before the slice is handed
     *                    over: the bytes up to there must be readable when it returns (an off-heap copy filled as
     *                    the pushes need it, {@link DirectSendBuffers.Lease#ready})
     */
    SlicedBodyPublisher(ByteBuffer body, int sliceSize, Runnable onLastSlice, IntConsumer beforeSlice) {
        if (sliceSize <= 0) {
            throw new IllegalArgumentException("slice size must be > 0, got " + sliceSize);
        }
        this.body = body.slice();
        this.sliceSize = sliceSize;
        this.onLastSlice = onLastSlice;
        this.beforeSlice = beforeSlice;
    }

    @Override
    public long contentLength() {
        return body.capacity();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        subscriber.onSubscribe(new Slices(subscriber));
    }

    /**
     * One subscription: emits slices only against outstanding demand. {@link #request} may be called from inside
     * {@code onNext} or from another thread; the work-in-progress counter lets exactly one caller drain at a time, so
     * there is no recursion and no slice is emitted twice.
     */
    private final class Slices implements Flow.Subscription {
        private final Flow.Subscriber<? super ByteBuffer> subscriber;
        private final AtomicLong demand = new AtomicLong();
        private final AtomicInteger wip = new AtomicInteger();
        private volatile boolean done;
        private int position; // only touched by the thread that holds wip

        Slices(Flow.Subscriber<? super ByteBuffer> subscriber) {
            this.subscriber = subscriber;
        }

        @Override
        public void request(long n) {
            if (done) {
                return;
            }
            if (n <= 0) {
                done = true;
                subscriber.onError(new IllegalArgumentException("request(" + n + "): demand must be > 0 (§3.9)"));
                return;
            }
            demand.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
            drain();
        }

        @Override
        public void cancel() {
            done = true;
        }

        private void drain() {
            if (wip.getAndIncrement() != 0) {
                return; // the thread already draining will see the new demand
            }
            int missed = 1;
            do {
                int end = body.capacity();
                while (!done && position < end && demand.get() > 0) {
                    int length = Math.min(sliceSize, end - position);
                    beforeSlice.accept(position + length);
                    ByteBuffer slice = body.slice(position, length).asReadOnlyBuffer();
                    position += length;
                    demand.decrementAndGet();
                    subscriber.onNext(slice);
                }
                if (!done && position == body.capacity()) {
                    done = true;
                    onLastSlice.run();
                    subscriber.onComplete();
                }
                missed = wip.addAndGet(-missed);
            } while (missed != 0);
        }
    }
}
