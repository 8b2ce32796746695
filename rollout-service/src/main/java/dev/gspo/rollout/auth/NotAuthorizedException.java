package dev.gspo.rollout.auth;

import org.springframework.http.HttpStatus;

/**
 * A request without valid credentials (the push token, the API key): 401 with {@code WWW-Authenticate: Bearer} when
 * none were offered, 403 when they were wrong. The message never contains what was offered.
 */
public final class NotAuthorizedException extends RuntimeException {
    private final boolean missingCredentials;

    public NotAuthorizedException(boolean missingCredentials, String message) {
        super(message);
        this.missingCredentials = missingCredentials;
    }

    public boolean missingCredentials() {
        return missingCredentials;
    }

    public HttpStatus status() {
        return missingCredentials ? HttpStatus.UNAUTHORIZED : HttpStatus.FORBIDDEN;
    }
}
