package dev.gspo.rollout.batching;

/** The decode queue cannot take a request now (503 with Retry-After). */
public final class QueueFullException extends RuntimeException {
    public QueueFullException(int queued, int requested, int capacity) {
        super("the decode queue holds " + queued + " sequences; " + requested + " more would exceed "
                + "gspo.rollout.max-queued-sequences " + capacity);
    }
}
