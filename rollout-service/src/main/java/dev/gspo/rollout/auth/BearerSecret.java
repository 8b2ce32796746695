package dev.gspo.rollout.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * A configured bearer secret (the push token, the API key): never printed, compared in constant time. Secrets are
 * compared as SHA-256 digests with {@link MessageDigest#isEqual}, which takes the same time wherever the first
 * difference is and whatever the length of the offered secret.
 */
public final class BearerSecret {
    private static final String SCHEME = "Bearer";

    private final byte[] digest;

    public BearerSecret(String secret) {
        this.digest = sha256(secret);
    }

    /**
     * The credentials of an {@code Authorization} header of the {@code Bearer} scheme, or empty when the header is
     * missing or of another scheme. The scheme is matched case-insensitively (RFC 9110 §11.1, as RFC 7235 had it:
     * {@code bearer}, {@code BEARER} are {@code Bearer}), separated from the credentials by one or more spaces.
     */
    public static Optional<String> offered(String authorization) {
        if (authorization == null) {
            return Optional.empty();
        }
        String header = authorization.stripLeading(); // "Bearer " offers empty credentials: wrong, not missing
        int space = header.indexOf(' ');
        if (space < 0 || !header.substring(0, space).equalsIgnoreCase(SCHEME)) {
            return Optional.empty();
        }
        return Optional.of(header.substring(space + 1).strip());
    }

    public boolean matches(String offered) {
        return MessageDigest.isEqual(sha256(offered), digest);
    }

    @Override
    public String toString() {
        return "BearerSecret[(hidden)]";
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
