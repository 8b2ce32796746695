package dev.gspo.rollout.weights;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hashing thread's digest against the JDK's SHA-256 of the whole array, computed on the test's thread. */
class OverlappedSha256Test {
    @Test
    void rangesHandedOverInPiecesHashToTheSha256OfTheWholeArray() throws Exception {
        byte[] body = random(5_000_017, 1);
        Random sizes = new Random(2);
        OverlappedSha256.Digest digest;
        try (OverlappedSha256 sha = new OverlappedSha256()) {
            int pos = 0;
            while (pos < body.length) {
                int n = Math.min(body.length - pos, 1 + sizes.nextInt(300_000));
                sha.update(body, pos, n);
                pos += n;
            }
            sha.end();
            digest = sha.await();
        }
        assertThat(digest.hex()).isEqualTo(reference(body));
        assertThat(digest.busyNanos()).isPositive();
    }

    @Test
    void moreRangesThanTheQueueHoldsAreAllHashedInOrder() throws Exception {
        byte[] body = random(20 * OverlappedSha256.WAITING_RANGES + 3, 3);
        OverlappedSha256.Digest digest;
        try (OverlappedSha256 sha = new OverlappedSha256()) {
            for (int i = 0; i < body.length; i += 7) {
                sha.update(body, i, Math.min(7, body.length - i));
            }
            sha.end();
            digest = sha.await();
        }
        assertThat(digest.hex()).isEqualTo(reference(body));
    }

    @Test
    void aChangeInTheLastRangeChangesTheDigest() throws Exception {
        byte[] body = random(3_000_000, 4);
        String intact = reference(body);
        body[body.length - 1] ^= 0x01;
        OverlappedSha256.Digest digest;
        try (OverlappedSha256 sha = new OverlappedSha256()) {
            sha.update(body, 0, 1_000_000);
            sha.update(body, 1_000_000, 1_999_999);
            sha.update(body, 2_999_999, 1); // the last range: one byte
            sha.end();
            digest = sha.await();
        }
        assertThat(digest.hex()).isNotEqualTo(intact).isEqualTo(reference(body));
    }

    @Test
    void nothingHandedOverIsTheSha256OfNothing() throws Exception {
        try (OverlappedSha256 sha = new OverlappedSha256()) {
            sha.end();
            assertThat(sha.await().hex()).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        }
    }

    private static byte[] random(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String reference(byte[] body) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    }
}
