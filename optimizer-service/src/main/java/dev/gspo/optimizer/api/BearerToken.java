package dev.gspo.optimizer.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Checks an {@code Authorization: Bearer <token>} header against the configured token in constant time. An empty
 * configured token disables the check (local use only; the README says so). The token never appears in messages.
 */
public final class BearerToken {
    private final byte[] expected;

    public BearerToken(String token) {
        this.expected = token == null ? new byte[0] : token.getBytes(StandardCharsets.UTF_8);
    }

    public boolean enabled() {
        return expected.length > 0;
    }

    /** @throws UnauthorizedException when the header is missing or wrong */
    public void check(String authorizationHeader) {
        if (!enabled()) {
            return;
        }
        if (authorizationHeader == null || !authorizationHeader.startsWith("Bearer ")) {
            throw new UnauthorizedException("missing bearer token: send 'Authorization: Bearer <control token>'");
        }
        byte[] given = authorizationHeader.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, expected)) {
            throw new UnauthorizedException("the bearer token is not valid");
        }
    }

    /** HTTP 401. */
    public static final class UnauthorizedException extends RuntimeException {
        public UnauthorizedException(String message) {
            super(message);
        }
    }
}
