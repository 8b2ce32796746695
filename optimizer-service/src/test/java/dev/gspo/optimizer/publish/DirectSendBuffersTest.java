package dev.gspo.optimizer.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DirectSendBuffersTest {

    @Test
    void aLeaseReadsExactlyTheVersionsBytesOffHeapAndReadOnly() {
        DirectSendBuffers buffers = new DirectSendBuffers();
        byte[] v1 = randomBytes(1, 10_000);

        try (DirectSendBuffers.Lease lease = buffers.acquire(1, v1, sha256(v1))) {
            ByteBuffer view = lease.bytes();

            assertThat(view.isDirect()).isTrue();
            assertThat(view.isReadOnly()).isTrue();
            assertThat(sent(lease)).isEqualTo(v1);
        }
    }

    @Test
    void aNewVersionNeverOverwritesTheBytesOfAPushStillSendingTheOldOne() {
        DirectSendBuffers buffers = new DirectSendBuffers();
        byte[] v1 = randomBytes(1, 10_000);
        byte[] v2 = randomBytes(2, 10_000);

        try (DirectSendBuffers.Lease catchUp = buffers.acquire(1, v1, sha256(v1));
                DirectSendBuffers.Lease next = buffers.acquire(2, v2, sha256(v2))) {

            assertThat(sent(catchUp)).isEqualTo(v1);
            assertThat(sent(next)).isEqualTo(v2);
            assertThat(next.sharesMemoryWith(catchUp)).isFalse();
        }
    }

    @Test
    void theBufferIsReusedForTheNextVersionOnceNoPushSendsTheOldOne() {
        DirectSendBuffers buffers = new DirectSendBuffers();
        byte[] v1 = randomBytes(1, 10_000);
        byte[] v2 = randomBytes(2, 9_000);
        DirectSendBuffers.Lease first = buffers.acquire(1, v1, sha256(v1));
        first.close();

        try (DirectSendBuffers.Lease second = buffers.acquire(2, v2, sha256(v2))) {

            assertThat(second.sharesMemoryWith(first)).isTrue();
            assertThat(sent(second)).isEqualTo(v2); // exactly the new length, not the old buffer's
        }
    }

    @Test
    void pushesOfOneVersionShareOneCopyAndEachLeaseIsReleasedOnce() {
        DirectSendBuffers buffers = new DirectSendBuffers();
        byte[] v1 = randomBytes(1, 10_000);
        DirectSendBuffers.Lease a = buffers.acquire(1, v1, sha256(v1));
        DirectSendBuffers.Lease b = buffers.acquire(1, v1, sha256(v1));

        assertThat(b.sharesMemoryWith(a)).isTrue();
        assertThat(buffers.openLeases()).isEqualTo(2);
        a.close();
        a.close(); // a second close of the same lease does not release b's claim
        assertThat(buffers.openLeases()).isEqualTo(1);

        byte[] v2 = randomBytes(2, 10_000);
        try (DirectSendBuffers.Lease next = buffers.acquire(2, v2, sha256(v2))) {
            assertThat(sent(b)).isEqualTo(v1); // b still sends version 1
            assertThat(sent(next)).isEqualTo(v2);
        }
        b.close();
    }

    @Test
    void anArrayReusedForAnotherVersionIsCopiedAgainNotSentStale() {
        DirectSendBuffers buffers = new DirectSendBuffers();
        byte[] array = randomBytes(1, 10_000);
        try (DirectSendBuffers.Lease first = buffers.acquire(1, array, sha256(array))) {
            assertThat(sent(first)).isEqualTo(array);
        }
        new SplittableRandom(99).nextBytes(array); // the caller refills the same array for version 2

        try (DirectSendBuffers.Lease lease = buffers.acquire(2, array, sha256(array))) {
            assertThat(sent(lease)).isEqualTo(array);
        }
    }

    @Test
    void sendsFromTheArrayWhenNoDirectMemoryCanBeReserved() {
        DirectSendBuffers buffers = new DirectSendBuffers(n -> {
            throw new OutOfMemoryError("Cannot reserve " + n + " bytes of direct buffer memory");
        });
        byte[] v1 = randomBytes(1, 10_000);

        try (DirectSendBuffers.Lease lease = buffers.acquire(1, v1, sha256(v1))) {
            ByteBuffer view = lease.bytes();

            assertThat(view.isDirect()).isFalse();
            assertThat(view.isReadOnly()).isTrue();
            assertThat(sent(lease)).isEqualTo(v1);
            assertThat(buffers.copiedBytes()).isZero(); // the array itself: nothing to copy
        }
    }

    @Test
    void eachRangeIsCopiedOnceByThePushThatNeedsItFirst() {
        DirectSendBuffers buffers = new DirectSendBuffers();
        byte[] v1 = randomBytes(1, 10_000);

        try (DirectSendBuffers.Lease a = buffers.acquire(1, v1, sha256(v1));
                DirectSendBuffers.Lease b = buffers.acquire(1, v1, sha256(v1))) {
            assertThat(buffers.copiedBytes()).isZero(); // nothing before a push sends

            a.ready(4_000);
            assertThat(buffers.copiedBytes()).isEqualTo(4_000);
            assertThat(bytesOf(a.bytes().slice(0, 4_000))).isEqualTo(Arrays.copyOf(v1, 4_000));
            b.ready(3_000); // already there
            assertThat(buffers.copiedBytes()).isEqualTo(4_000);
            b.ready(10_000);
            a.ready(10_000);
            assertThat(buffers.copiedBytes()).isEqualTo(10_000);
            assertThat(bytesOf(a.bytes())).isEqualTo(v1);
            assertThatThrownBy(() -> a.ready(10_001)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void anAbandonedPushAskingAfterItsBufferWentToTheNextVersionCopiesNothing() {
        DirectSendBuffers buffers = new DirectSendBuffers();
        byte[] v1 = randomBytes(1, 10_000);
        byte[] v2 = randomBytes(2, 6_000);
        DirectSendBuffers.Lease abandoned = buffers.acquire(1, v1, sha256(v1));
        abandoned.ready(2_000);
        abandoned.close(); // timed out: closed while its HTTP client may still ask for slices

        try (DirectSendBuffers.Lease next = buffers.acquire(2, v2, sha256(v2))) {
            assertThat(next.sharesMemoryWith(abandoned)).isTrue();
            assertThat(abandoned.ready(8_000)).isZero(); // past v2's length: neither copied nor refused
            assertThat(buffers.copiedBytes()).isEqualTo(2_000);
            assertThat(sent(next)).isEqualTo(v2);
        }
    }

    /** What a push of the lease sends: its view, once every byte of it was made ready. */
    static byte[] sent(DirectSendBuffers.Lease lease) {
        ByteBuffer view = lease.bytes();
        lease.ready(view.remaining());
        return bytesOf(view);
    }

    static byte[] bytesOf(ByteBuffer view) {
        byte[] out = new byte[view.remaining()];
        view.duplicate().get(out);
        return out;
    }

    static byte[] randomBytes(long seed, int n) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
