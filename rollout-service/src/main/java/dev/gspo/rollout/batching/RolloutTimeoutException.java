package dev.gspo.rollout.batching;

/** A request not served in time, either still queued or still decoding (503 with Retry-After). */
public final class RolloutTimeoutException extends RuntimeException {
    public RolloutTimeoutException(String message) {
        super(message);
    }
}
