package dev.gspo.rollout.weights;

/** A weight push without valid credentials: 401 when none were offered, 403 when they were wrong. */
public final class PushNotAuthorizedException extends RuntimeException {
    private final boolean missingCredentials;

    public PushNotAuthorizedException(boolean missingCredentials, String message) {
        super(message);
        this.missingCredentials = missingCredentials;
    }

    public boolean missingCredentials() {
        return missingCredentials;
    }
}
