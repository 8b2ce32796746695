package dev.gspo.rollout.batching;

import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.rollout.adapters.AdapterLease;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One request's rows waiting for, or inside, the running batch. Its state moves once, from queued to either running
 * (its first row admitted by the decoder) or cancelled (gave up waiting), so a request is never both decoded and
 * reported as timed out in the queue.
 *
 * <p>Its rows are admitted one by one as slots free up ({@link DecodeQueue#admit}) and end one by one; the counters
 * below are touched only by the decode thread (the queue updates {@code admitted} under its lock, called from that
 * thread).
 */
final class PendingRollout {
    private static final int QUEUED = 0;
    private static final int RUNNING = 1;
    private static final int CANCELLED = 2;

    private final List<SequenceRequest> rows;
    private final AdapterLease adapter;
    private final CompletableFuture<DecodedRollout> result = new CompletableFuture<>();
    private final AtomicInteger state = new AtomicInteger(QUEUED);
    private final Completion[] completions;
    private int admitted;
    private int running;
    private int ended;

    PendingRollout(List<SequenceRequest> rows) {
        this(rows, null);
    }

    /**
     * @param adapter the named adapter every row decodes with (null: the base model); the request owns the lease and
     *                releases it once it is answered, failed or withdrawn
     */
    PendingRollout(List<SequenceRequest> rows, AdapterLease adapter) {
        this.rows = List.copyOf(rows);
        this.adapter = adapter;
        this.completions = new Completion[this.rows.size()];
        if (adapter != null) {
            result.whenComplete((r, e) -> adapter.close());
        }
    }

    /** The adapter lease of the request, or null for the base model. */
    AdapterLease adapter() {
        return adapter;
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
        boolean cancelled = state.compareAndSet(QUEUED, CANCELLED);
        if (cancelled && adapter != null) {
            adapter.close(); // never decoded: its adapter version may be freed
        }
        return cancelled;
    }

    boolean started() {
        return state.get() == RUNNING;
    }

    /** Rows not admitted yet. */
    int unadmitted() {
        return rows.size() - admitted;
    }

    /** Rows admitted and not ended. */
    int running() {
        return running;
    }

    /** Admits the next row: its index. */
    int admitNext() {
        running++;
        return admitted++;
    }

    /** Records a row's completion; true when it was the request's last. */
    boolean rowEnded(int row, Completion completion) {
        completions[row] = completion;
        running--;
        return ++ended == rows.size();
    }

    /** The completions in row order (once every row has ended). */
    List<Completion> completions() {
        return Arrays.asList(completions.clone());
    }
}
