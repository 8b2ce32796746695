package dev.gspo.optimizer.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;

/**
 * Checks an {@code Authorization: Bearer <token>} header against the configured token in constant time. The scheme
 * name is case-insensitive (RFC 7235 §2.1: {@code bearer}, {@code BEARER} are the same scheme). An empty configured
 * token disables the check (local use only; the README says so). The token never appears in messages.
 */
public final class BearerToken {
    private static final String SCHEME = "bearer";
    private final byte[] expected;

    public BearerToken(String token) {
        this.expected = token == null ? new byte[0] : token.getBytes(StandardCharsets.UTF_8);
    }

    public boolean enabled() {
        return expected.length > 0;
    }

    /** True when the header carries exactly this token (false when this token is not configured). */
    public boolean matches(String authorizationHeader) {
        byte[] given = credentials(authorizationHeader);
        return enabled() && given != null && MessageDigest.isEqual(given, expected);
    }

    /** @throws UnauthorizedException when the check is enabled and the header is missing or wrong */
    public void check(String authorizationHeader) {
        if (!enabled()) {
            return;
        }
        if (credentials(authorizationHeader) == null) {
            throw new UnauthorizedException("missing bearer token: send 'Authorization: Bearer <control token>'");
        }
        if (!matches(authorizationHeader)) {
            throw new UnauthorizedException("the bearer token is not valid");
        }
    }

    /** The token of a {@code Bearer} header (scheme in any case, any run of spaces after it), or null. */
    static byte[] credentials(String header) {
        if (header == null) {
            return null;
        }
        String h = header.strip();
        int space = h.indexOf(' ');
        if (space < 0 || !h.substring(0, space).toLowerCase(Locale.ROOT).equals(SCHEME)) {
            return null;
        }
        String token = h.substring(space + 1).strip();
        return token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    /** HTTP 401. */
    public static final class UnauthorizedException extends RuntimeException {
        public UnauthorizedException(String message) {
            super(message);
        }
    }
}
