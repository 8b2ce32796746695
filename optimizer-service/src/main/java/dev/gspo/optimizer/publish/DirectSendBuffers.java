package dev.gspo.optimizer.publish;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One off-heap (direct) copy of a weight version's bytes, made once per version and shared by every push of it, and
 * reused for the next version once no push of the old one is still sending.
 *
 * <p>Why: the JDK's HTTP client writes a request body with a non-blocking {@code SocketChannel.write}; for a heap
 * buffer the JDK first copies <em>all</em> the remaining bytes of every buffer handed to that write into a temporary
 * direct buffer, then writes what the socket takes ({@code sun.nio.ch.IOUtil.write}). When the socket buffer is full
 * (the replica reads slower than loopback can carry), the rest is copied again at the next write. So a 1 MB heap
 * slice was copied one to several times per replica. A direct buffer is written by the kernel straight from its own
 * memory: with the version's bytes off-heap, sending copies nothing in Java, and the one copy per version (heap →
 * off-heap, {@code copy} in the stage profile) is shared by all the replicas.
 *
 * <p>The copy is made as the pushes need it, not before the first push starts ({@link Lease#ready}): a push asks for
 * the range up to the end of the slice it is about to hand to the HTTP client, the first push to get there copies it,
 * the others find it copied. The copy then overlaps the transfer instead of delaying the first byte (~4 ms per 100
 * MB), and a version is still copied exactly once.
 *
 * <p>Reuse and reference counting: {@link #acquire} hands out a {@link Lease}; the buffer is overwritten with another
 * version only when no lease on it is open ({@code refs == 0}). A version asked for while a push of an older one
 * still holds the kept buffer (a replica catching up on the old version while the next is published) gets a fresh
 * buffer, which is kept from then on; the old one is left to its leases and freed by the garbage collector after the
 * last lease is closed (direct buffers are never freed by hand here: no use after free is possible). Copies are told
 * apart by version, SHA-256 and length, so a body whose array is reused for other bytes is never sent stale.
 *
 * <p>A push abandoned after a timeout closes its lease when {@code HttpClient.send} gives up; the client may still
 * be writing a slice of it for a moment on its own thread. If the buffer is reused for the next version in that
 * moment, the abandoned connection carries bytes of two versions: the replica's SHA-256 check (before anything is
 * parsed) rejects it, and the client closes that connection anyway.
 *
 * <p>Direct memory is bounded by {@code -XX:MaxDirectMemorySize} (by default the heap limit). When a new buffer cannot
 * be reserved (e.g. a catch-up holds the old copy of a body close to that size), the lease reads the array itself:
 * the push is sent from the heap as before this class existed, slower, never refused.
 *
 * <p>Thread safety: every method is synchronised on this object; the copy into a reused buffer happens under the
 * lock, a slice at a time (~40 µs per 1 MB slice).
 */
final class DirectSendBuffers {
    private static final Logger log = LoggerFactory.getLogger(DirectSendBuffers.class);
    private final IntFunction<ByteBuffer> allocate;
    private Body kept;
    private long copiedBytes;

    DirectSendBuffers() {
        this(ByteBuffer::allocateDirect);
    }

    /** @param allocate a buffer of the given capacity (direct; may throw {@link OutOfMemoryError} at the limit) */
    DirectSendBuffers(IntFunction<ByteBuffer> allocate) {
        this.allocate = allocate;
    }

    /** An open claim on one version's off-heap bytes; close it when the push no longer sends them. */
    final class Lease implements AutoCloseable {
        private final Body body;
        private final long version;
        private final String sha256;
        private boolean closed;

        private Lease(Body body) {
            this.body = body;
            this.version = body.version;
            this.sha256 = body.sha256;
        }

        /** Whether this lease and {@code other} read the same memory (for tests). */
        boolean sharesMemoryWith(Lease other) {
            return body == other.body;
        }

        /**
         * A read-only view of exactly the version's length, position 0 (each caller gets its own view). Only its
         * first {@link #ready} bytes are the version's: the rest may still be another version's or zeros.
         */
        ByteBuffer bytes() {
            return body.buffer.slice(0, body.length).asReadOnlyBuffer();
        }

        /**
         * Makes the version's first {@code end} bytes readable in {@link #bytes}, copying from its array what no push
         * has copied yet. A push abandoned after a timeout may still ask after its buffer was handed to the next
         * version: it gets nothing copied (its connection carries stale bytes, which the replica's checksum refuses).
         *
         * @return the nanoseconds this call spent copying (0 when another push had copied the range)
         */
        long ready(int end) {
            synchronized (DirectSendBuffers.this) {
                if (end <= body.copied || body.version != version || !sha256.equals(body.sha256)) {
                    return 0;
                }
                if (end > body.length) {
                    throw new IndexOutOfBoundsException(end + " > " + body.length);
                }
                long t0 = System.nanoTime();
                body.buffer.put(body.copied, body.source, body.copied, end - body.copied);
                copiedBytes += end - body.copied;
                body.copied = end;
                if (end == body.length) {
                    body.source = null; // all copied: the array is not needed here any more
                }
                return System.nanoTime() - t0;
            }
        }

        @Override
        public void close() {
            synchronized (DirectSendBuffers.this) {
                if (!closed) {
                    closed = true;
                    body.refs--;
                }
            }
        }
    }

    private static final class Body {
        final ByteBuffer buffer;
        long version;
        String sha256;
        int length;
        int refs;
        /** The version's array while it is being copied in; {@code [0, copied)} of the buffer holds its bytes. */
        byte[] source;

        int copied;

        Body(ByteBuffer buffer) {
            this.buffer = buffer;
        }
    }

    /**
     * A lease on the off-heap copy of version {@code version}'s {@code bytes} (whose SHA-256 is {@code sha256}): the
     * kept copy if it already holds them (or is being filled with them), else the kept buffer, to be refilled, if no
     * lease is open on it and it is large enough, else a new buffer; the array itself, not kept, if no new direct
     * buffer can be reserved. Nothing is copied here: see {@link Lease#ready}.
     */
    synchronized Lease acquire(long version, byte[] bytes, String sha256) {
        Body b = kept;
        if (b == null || !(b.version == version && sha256.equals(b.sha256) && b.length == bytes.length)) {
            if (b == null || b.refs > 0 || b.buffer.capacity() < bytes.length) {
                ByteBuffer memory;
                try {
                    memory = allocate.apply(bytes.length);
                } catch (OutOfMemoryError e) { // the direct-memory limit: send this version from its array
                    log.warn(
                            "no direct memory for the {} bytes of policy version {} ({}): sending it from the heap",
                            bytes.length,
                            version,
                            e.getMessage());
                    Body heap = new Body(ByteBuffer.wrap(bytes));
                    heap.length = bytes.length;
                    heap.copied = bytes.length; // the array itself: nothing to copy
                    heap.refs = 1;
                    return new Lease(heap);
                }
                b = new Body(memory);
                kept = b;
            }
            b.sha256 = null; // not a valid copy of anything until the fields below are set
            b.source = bytes; // copied as the pushes need it (Lease.ready)
            b.copied = 0;
            b.length = bytes.length;
            b.version = version;
            b.sha256 = sha256;
        }
        b.refs++;
        return new Lease(b);
    }

    /** Bytes copied from arrays into buffers so far (for tests). */
    synchronized long copiedBytes() {
        return copiedBytes;
    }

    /** Open leases on the kept buffer (for tests). */
    synchronized int openLeases() {
        return kept == null ? 0 : kept.refs;
    }
}
