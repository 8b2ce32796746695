package dev.gspo.rollout.batching;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Requests waiting for the decoder, bounded by the number of rows not yet admitted. The decoder takes rows as slots
 * of its running batch free up ({@link #admit}): not in arrival order of rows but fairly between requests, each free
 * slot going to the waiting request with the fewest rows running (ties: the earliest), so a small request arriving
 * behind a large one gets the next slots instead of waiting for every row of the large one to be admitted.
 *
 * <p>A request is split across steps (its rows join as slots free up) but never across policy versions: once its
 * first row is admitted it is started, and the decoder keeps admitting its rows into the same batch
 * ({@code newRequests = false} while it drains for a swap).
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
     * Blocks until a request is waiting or the queue is closed.
     *
     * @return false once the queue is closed and no started request has rows left to admit
     */
    boolean awaitWork() throws InterruptedException {
        lock.lock();
        try {
            while (waiting.isEmpty() && !closed) {
                notEmpty.await();
            }
            return !waiting.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    boolean hasWaiting() {
        lock.lock();
        try {
            return !waiting.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes up to {@code freeSlots} rows without blocking, each to the waiting request with the fewest rows running
     * (ties: the earliest). A request whose first row is taken is marked started.
     *
     * @param newRequests whether requests not yet started may start (false while the batch drains for a swap)
     */
    List<RowTicket> admit(int freeSlots, boolean newRequests) {
        return admit(freeSlots, newRequests, Integer.MAX_VALUE);
    }

    /**
     * As {@link #admit(int, boolean)}, never letting one request run more than {@code perRequest} rows at once (its
     * other rows wait for its own to end), so that {@code slots − perRequest} slots stay for other requests.
     */
    List<RowTicket> admit(int freeSlots, boolean newRequests, int perRequest) {
        lock.lock();
        try {
            List<RowTicket> out = new ArrayList<>();
            while (out.size() < freeSlots) {
                PendingRollout best = null;
                for (PendingRollout p : waiting) {
                    if ((newRequests || p.started())
                            && p.running() < perRequest
                            && (best == null || p.running() < best.running())) {
                        best = p;
                    }
                }
                if (best == null) {
                    break;
                }
                if (!best.started() && !best.tryStart()) {
                    waiting.remove(best); // cancelled: cannot happen under the lock, kept for safety
                    queuedSequences -= best.unadmitted();
                    continue;
                }
                out.add(new RowTicket(best, best.admitNext()));
                queuedSequences--;
                if (best.unadmitted() == 0) {
                    waiting.remove(best);
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Drops the rows of a started request that failed: they are never admitted. */
    void drop(PendingRollout pending) {
        lock.lock();
        try {
            if (waiting.remove(pending)) {
                queuedSequences -= pending.unadmitted();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Withdraws a request that is still waiting; false if the decoder has already started it. */
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

    /**
     * Refuses new requests and returns those that have not started (the caller fails them); started requests keep
     * their place, so the decoder finishes them.
     */
    List<PendingRollout> close() {
        lock.lock();
        try {
            closed = true;
            List<PendingRollout> left = new ArrayList<>();
            for (Iterator<PendingRollout> it = waiting.iterator(); it.hasNext(); ) {
                PendingRollout p = it.next();
                if (p.tryCancel()) {
                    left.add(p);
                    queuedSequences -= p.size();
                    it.remove();
                }
            }
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
