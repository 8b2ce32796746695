package dev.gspo.rollout.batching;

import dev.gspo.common.decode.SequenceRequest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One request's rows waiting for, or inside, a decode batch. Its state moves once, from queued to either running
 * (taken by the decoder) or cancelled (gave up waiting), so a request is never both decoded and reported as timed out
 * in the queue.
 */
final class PendingRollout {
    private static final int QUEUED = 0;
    private static final int RUNNING = 1;
    private static final int CANCELLED = 2;

    private final List<SequenceRequest> rows;
    private final CompletableFuture<DecodedRollout> result = new CompletableFuture<>();
    private final AtomicInteger state = new AtomicInteger(QUEUED);

    PendingRollout(List<SequenceRequest> rows) {
        this.rows = List.copyOf(rows);
    }

    List<SequenceRequest> rows() {
        return rows;
    }

    int size() {
        return rows.size();
    }

    CompletableFuture<DecodedRollout> result() {
        return result;
    }

    boolean tryStart() {
        return state.compareAndSet(QUEUED, RUNNING);
    }

    boolean tryCancel() {
        return state.compareAndSet(QUEUED, CANCELLED);
    }
}
