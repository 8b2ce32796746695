package dev.gspo.common.hash;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SHA-256 for weight bodies: where the system's OpenSSL ({@code libcrypto}) can be loaded, its implementation ({@link
 * OpenSslSha256}, ~1.76 GB/s with the CPU's SHA extensions on the reference machine), otherwise the JDK's (~1.61
 * GB/s, also with SHA-NI). Every weight push is hashed by every replica and by the optimizer once per version, and on
 * a replica the hash is the push's critical path (docs/BENCHMARKS.md), so the ~9 % matter; the digests are the same
 * (FIPS 180-4), which the tests check against the JDK and the standard's test vectors.
 *
 * <p>{@code -Dgspo.sha256=jdk} forces the JDK's implementation. The choice is made once per JVM and logged.
 */
public final class Sha256 {
    private static final Logger log = LoggerFactory.getLogger(Sha256.class);
    private static final boolean NATIVE = chooseNative();

    private Sha256() {}

    /** A fresh SHA-256 {@link MessageDigest} (not thread-safe, as every {@code MessageDigest}). */
    public static MessageDigest newDigest() {
        return NATIVE ? new OpenSslSha256.Digest() : jdk();
    }

    /** Lower-case hex SHA-256 of {@code bytes}. */
    public static String hex(byte[] bytes) {
        MessageDigest sha = newDigest();
        sha.update(bytes);
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Which implementation {@link #newDigest} returns: {@code "openssl"} or {@code "jdk"}. */
    public static String implementation() {
        return NATIVE ? "openssl" : "jdk";
    }

    static MessageDigest jdk() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean chooseNative() {
        if ("jdk".equalsIgnoreCase(System.getProperty("gspo.sha256", ""))) {
            log.info("SHA-256: the JDK's (gspo.sha256=jdk)");
            return false;
        }
        String why = OpenSslSha256.unavailableReason();
        if (why != null) {
            log.info("SHA-256: the JDK's (OpenSSL's libcrypto not usable: {})", why);
            return false;
        }
        log.info("SHA-256: OpenSSL's libcrypto ({})", OpenSslSha256.version());
        return true;
    }
}
