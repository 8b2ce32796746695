package dev.gspo.rollout.weights;

/** A push whose version is not ahead of the served one: versions only move forward. */
public final class StaleVersionException extends RuntimeException {
    private final long pushed;
    private final long served;

    public StaleVersionException(long pushed, long served) {
        super("X-Policy-Version " + pushed + " is not ahead of the served version " + served
                + ": versions only move forward");
        this.pushed = pushed;
        this.served = served;
    }

    public long pushed() {
        return pushed;
    }

    public long served() {
        return served;
    }
}
