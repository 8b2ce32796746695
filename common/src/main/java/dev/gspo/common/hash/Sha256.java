package dev.gspo.common.hash;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.Arrays;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SHA-256 for weight bodies: the Amazon Corretto Crypto Provider's (AWS-LC, bundled in its jar for Linux x86-64; ~55
 * ms per 98.6 MB with the CPU's SHA extensions on the reference machine) where it loads, otherwise the JDK's (~61 ms,
 * also with SHA-NI). Every weight push is hashed by every replica and by the optimizer once per version, and on a
 * replica the hash is the push's critical path (docs/BENCHMARKS.md), so the ~9 % matter. The provider is used for
 * SHA-256 only, never installed as the JVM's default provider (TLS and everything else stay on the JDK's).
 *
 * <p>{@code -Dgspo.sha256=jdk} forces the JDK's implementation. The choice is made once per JVM and logged; a provider
 * that loads but disagrees with the JDK on a test input is not used.
 */
public final class Sha256 {
    private static final Logger log = LoggerFactory.getLogger(Sha256.class);
    private static final Provider PROVIDER = chooseProvider();

    private Sha256() {}

    /** A fresh SHA-256 {@link MessageDigest} (not thread-safe, as every {@code MessageDigest}). */
    public static MessageDigest newDigest() {
        try {
            return PROVIDER == null
                    ? MessageDigest.getInstance("SHA-256")
                    : MessageDigest.getInstance("SHA-256", PROVIDER);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Lower-case hex SHA-256 of {@code bytes}. */
    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(newDigest().digest(bytes));
    }

    /** The provider {@link #newDigest} takes SHA-256 from: {@code "AmazonCorrettoCryptoProvider"} or the JDK's. */
    public static String implementation() {
        return PROVIDER == null ? "jdk" : PROVIDER.getName();
    }

    private static Provider chooseProvider() {
        if ("jdk".equalsIgnoreCase(System.getProperty("gspo.sha256", ""))) {
            log.info("SHA-256: the JDK's (gspo.sha256=jdk)");
            return null;
        }
        try {
            AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
            Throwable error = accp.getLoadingError();
            if (error != null) {
                log.info("SHA-256: the JDK's (the Amazon Corretto Crypto Provider did not load: {})", error.toString());
                return null;
            }
            byte[] probe = "abc".getBytes(StandardCharsets.US_ASCII);
            if (!Arrays.equals(
                    MessageDigest.getInstance("SHA-256", accp).digest(probe),
                    MessageDigest.getInstance("SHA-256").digest(probe))) {
                log.warn("SHA-256: the JDK's (the Amazon Corretto Crypto Provider's digest differs from the JDK's)");
                return null;
            }
            log.info("SHA-256: {} {} ({})", accp.getName(), accp.getVersionStr(), accp.getAwsLcVersionStr());
            return accp;
        } catch (Throwable e) { // no native library for this platform, native access denied, …
            log.info("SHA-256: the JDK's (the Amazon Corretto Crypto Provider is not usable here: {})", e.toString());
            return null;
        }
    }
}
