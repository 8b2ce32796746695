package dev.gspo.rollout.weights;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * At most one weight push in flight, from reading its body to its swap: a second push that arrives meanwhile is
 * refused at once ({@link PushInProgressException}, 409 with {@code Retry-After}) before its body is read, so held or
 * concurrent pushes cannot multiply the memory a push takes. Pushes are one per version from one optimizer, so in
 * normal operation they never overlap.
 */
public final class PushGate {
    private final AtomicBoolean inFlight = new AtomicBoolean();

    /** @throws PushInProgressException if another push holds the gate */
    void enter() {
        if (!inFlight.compareAndSet(false, true)) {
            throw new PushInProgressException();
        }
    }

    void leave() {
        inFlight.set(false);
    }

    /** Whether a push is being read, verified or installed now. */
    public boolean inFlight() {
        return inFlight.get();
    }
}
