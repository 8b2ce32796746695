package dev.gspo.rollout.batching;

import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.rollout.adapters.AdapterLease;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one request's rows through the shared decoder and waits for them, never unboundedly: a full queue is refused
 * at once, a request still queued after {@code maxQueueWait} is withdrawn, and one not answered within
 * {@code requestTimeout} is abandoned (its batch still completes, the result is dropped).
 */
public final class RolloutExecutor {
    private final DecodeQueue queue;
    private final Duration maxQueueWait;
    private final Duration requestTimeout;

    RolloutExecutor(DecodeQueue queue, Duration maxQueueWait, Duration requestTimeout) {
        this.queue = queue;
        this.maxQueueWait = maxQueueWait;
        this.requestTimeout = requestTimeout;
    }

    /**
     * @throws QueueFullException       the queue cannot take the rows now
     * @throws RolloutTimeoutException  not served within the configured waits
     * @throws DecoderStoppedException  the service is shutting down
     */
    public DecodedRollout run(List<SequenceRequest> rows) {
        return run(rows, null);
    }

    /**
     * As {@link #run(List)}, every row decoding with the named adapter of {@code adapter} (null: the base model). The
     * lease is handed over: released once the rows are decoded, failed or withdrawn, never while they decode.
     */
    public DecodedRollout run(List<SequenceRequest> rows, AdapterLease adapter) {
        long start = System.nanoTime();
        PendingRollout pending = new PendingRollout(rows, adapter);
        try {
            queue.add(pending);
        } catch (RuntimeException e) {
            if (adapter != null) {
                adapter.close();
            }
            throw e;
        }
        try {
            try {
                return pending.result().get(maxQueueWait.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException queued) {
                if (queue.cancel(pending)) {
                    throw new RolloutTimeoutException("the request waited more than " + maxQueueWait
                            + " (gspo.rollout.max-queue-wait) for the decoder");
                }
            }
            long left = requestTimeout.toNanos() - (System.nanoTime() - start);
            try {
                return pending.result().get(Math.max(left, 0), TimeUnit.NANOSECONDS);
            } catch (TimeoutException decoding) {
                throw new RolloutTimeoutException(
                        "the request was not finished within " + requestTimeout + " (gspo.rollout.request-timeout)");
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("decoding failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            queue.cancel(pending);
            Thread.currentThread().interrupt();
            throw new DecoderStoppedException();
        }
    }

    public int queuedSequences() {
        return queue.queuedSequences();
    }
}
