package dev.gspo.common.hash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class Sha256Test {
    private static final int MIB = 1 << 20;

    @Test
    void usesTheBundledAwsLcOnLinuxX86_64() {
        assumeTrue(
                System.getProperty("os.name").startsWith("Linux")
                        && System.getProperty("os.arch").equals("amd64"),
                "the provider's jar in the build is the linux-x86_64 one");
        assertThat(Sha256.implementation()).isEqualTo("AmazonCorrettoCryptoProvider");
        assertThat(Sha256.newDigest().getProvider().getName()).isEqualTo("AmazonCorrettoCryptoProvider");
    }

    /** FIPS 180-4's examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf"). */
    @Test
    void digestsTheStandardsTestVectors() {
        for (Supplier<MessageDigest> sha : implementations()) {
            assertThat(hex(sha.get(), ascii("")))
                    .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
            assertThat(hex(sha.get(), ascii("abc")))
                    .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
            assertThat(hex(sha.get(), ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))
                    .isEqualTo("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
            byte[] millionA = new byte[1_000_000];
            Arrays.fill(millionA, (byte) 'a');
            assertThat(hex(sha.get(), millionA))
                    .isEqualTo("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        }
    }

    @Test
    void equalsTheJdksDigestForAnyLengthAndAnySplitIntoUpdates() {
        Random random = new Random(20);
        for (int length : new int[] {1, 55, 56, 63, 64, 65, 1000, MIB - 1, MIB, MIB + 1, 3 * MIB + 17}) {
            byte[] data = new byte[length];
            random.nextBytes(data);
            byte[] expected = jdk().digest(data);
            for (Supplier<MessageDigest> sha : implementations()) {
                MessageDigest whole = sha.get();
                whole.update(data);
                assertThat(whole.digest()).as("%d bytes in one update", length).isEqualTo(expected);

                MessageDigest pieces = sha.get();
                for (int at = 0; at < length; ) { // ranges of the array, also a lone byte now and then
                    int n = Math.min(length - at, 1 + random.nextInt(Math.max(1, length / 3)));
                    if (n == 1) {
                        pieces.update(data[at]);
                    } else {
                        pieces.update(data, at, n);
                    }
                    at += n;
                }
                assertThat(pieces.digest()).as("%d bytes in pieces", length).isEqualTo(expected);

                ByteBuffer direct = ByteBuffer.allocateDirect(length + 8);
                direct.position(8).put(data).flip().position(8);
                MessageDigest fromDirect = sha.get();
                fromDirect.update(direct);
                assertThat(fromDirect.digest())
                        .as("%d bytes from a direct buffer", length)
                        .isEqualTo(expected);
                assertThat(direct.remaining()).isZero();
            }
        }
    }

    @Test
    void startsAfreshAfterEachDigestAndAfterReset() {
        for (Supplier<MessageDigest> sha : implementations()) {
            MessageDigest digest = sha.get();
            digest.update(ascii("something else"));
            digest.reset();
            assertThat(HexFormat.of().formatHex(digest.digest(ascii("abc"))))
                    .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
            assertThat(HexFormat.of().formatHex(digest.digest(ascii("abc"))))
                    .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
            assertThat(digest.getDigestLength()).isEqualTo(32);
        }
    }

    @Test
    void hexIsTheLowerCaseDigestOfTheBytes() {
        assertThat(Sha256.hex(ascii("abc")))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    /** What {@link Sha256#newDigest} returns here (checked against the JDK's digests and the standard's vectors). */
    private static List<Supplier<MessageDigest>> implementations() {
        return List.of(Sha256::newDigest);
    }

    private static String hex(MessageDigest sha, byte[] input) {
        sha.update(input);
        return HexFormat.of().formatHex(sha.digest());
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The JDK's own SHA-256 (provider SUN): the independent reference. */
    private static MessageDigest jdk() {
        try {
            return MessageDigest.getInstance("SHA-256", "SUN");
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
