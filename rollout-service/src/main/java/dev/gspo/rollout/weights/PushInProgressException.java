package dev.gspo.rollout.weights;

/** Another weight push is being read or installed (409 with {@code Retry-After}: try again shortly). */
public final class PushInProgressException extends RuntimeException {
    PushInProgressException() {
        super("another weight push is in progress on this replica; one push is read and installed at a time");
    }
}
