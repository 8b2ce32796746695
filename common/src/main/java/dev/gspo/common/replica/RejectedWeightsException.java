package dev.gspo.common.replica;

/** A weight push that cannot be installed; the old version keeps serving. */
public final class RejectedWeightsException extends RuntimeException {
    /**
     * Why: the first two are malformed requests (400), {@code INCOMPATIBLE} does not fit the served model (422),
     * {@code BASE_MISMATCH} is an adapter trained on another base than the replica serves (409: push the base first).
     */
    public enum Reason {
        CHECKSUM_MISMATCH,
        MALFORMED,
        INCOMPATIBLE,
        BASE_MISMATCH
    }

    private final Reason reason;

    public RejectedWeightsException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
