package dev.gspo.rollout.batching;

import dev.gspo.common.replica.DecodeBatches;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Requests waiting for the decoder, bounded by the number of sequences they hold. The decoder takes everything
 * waiting, in arrival order, up to a batch budget ({@link DecodeBatches#fits}); a request is never split, and a batch
 * always holds at least one.
 */
final class DecodeQueue {
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final ArrayDeque<PendingRollout> waiting = new ArrayDeque<>();
    private int queuedSequences;
    private boolean closed;

    DecodeQueue(int capacity) {
        this.capacity = capacity;
    }

    /** @throws QueueFullException if the request's sequences do not fit; DecoderStoppedException after close */
    void add(PendingRollout pending) {
        lock.lock();
        try {
            if (closed) {
                throw new DecoderStoppedException();
            }
            if (queuedSequences + pending.size() > capacity) {
                throw new QueueFullException(queuedSequences, pending.size(), capacity);
            }
            waiting.addLast(pending);
            queuedSequences += pending.size();
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until something is waiting, then takes requests in order while their sequences fit in
     * {@code maxSequences} (the first is always taken). Each taken request is marked running.
     *
     * @return the batch, or an empty list once the queue is closed
     */
    List<PendingRollout> takeBatch(int maxSequences) throws InterruptedException {
        lock.lock();
        try {
            while (waiting.isEmpty() && !closed) {
                notEmpty.await();
            }
            List<PendingRollout> batch = new ArrayList<>();
            int sequences = 0;
            while (!waiting.isEmpty() && !closed) {
                PendingRollout next = waiting.peekFirst();
                if (!batch.isEmpty() && !DecodeBatches.fits(sequences, next.size(), maxSequences)) {
                    break;
                }
                waiting.pollFirst();
                queuedSequences -= next.size();
                if (next.tryStart()) {
                    batch.add(next);
                    sequences += next.size();
                }
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /** Withdraws a request that is still waiting; false if the decoder has already taken it. */
    boolean cancel(PendingRollout pending) {
        lock.lock();
        try {
            if (!pending.tryCancel()) {
                return false;
            }
            if (waiting.remove(pending)) {
                queuedSequences -= pending.size();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Takes requests again after {@link #close()} (a restarted worker). */
    void open() {
        lock.lock();
        try {
            closed = false;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new requests and returns those still waiting (the caller fails them). */
    List<PendingRollout> close() {
        lock.lock();
        try {
            closed = true;
            List<PendingRollout> left = new ArrayList<>();
            for (PendingRollout p : waiting) {
                if (p.tryCancel()) {
                    left.add(p);
                }
            }
            waiting.clear();
            queuedSequences = 0;
            notEmpty.signalAll();
            return left;
        } finally {
            lock.unlock();
        }
    }

    int queuedSequences() {
        lock.lock();
        try {
            return queuedSequences;
        } finally {
            lock.unlock();
        }
    }
}
