package dev.gspo.rollout.weights;

import dev.gspo.common.replica.PushStages;
import dev.gspo.rollout.validation.InvalidRequestException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a weight push body into one array of exactly its declared {@code Content-Length}, with large reads straight
 * into it: no doubling, no copy of the body on the way, no garbage the size of the body.
 *
 * <p>The declared length is reserved only once the client has sent {@link #RESERVE_AFTER_BYTES} of it: the first
 * bytes go into an array of that size, and only when it is full is the array of the declared size allocated (the
 * first bytes copied into it once). A push that declares 1 GB and sends 1 KB therefore reserves 1 MB, not the
 * gigabyte (three such held pushes used to run a 2 GB replica out of memory; {@code HeldPushIT}). The declared length
 * is bounded by {@code gspo.rollout.max-weights-bytes} (the size filter answers 413 when the stream is opened, before
 * anything is read), and only one push is read at a time ({@link PushGate}), so a replica holds at most one push body
 * of at most that size. A chunked body (no declared length) is read with {@link InputStream#readAllBytes}, capped by
 * the size filter as it streams.
 *
 * <p>{@link #receive} hashes the body while it arrives, on another thread ({@link OverlappedSha256}): every
 * {@link #HAND_OFF_BYTES} read are handed over as a range of the same array, so SHA-256 overlaps the socket reads
 * when a core is free. The digest is not waited for here: the caller checks the content and builds the model while
 * the hashing thread finishes, and waits for it before the swap ({@link Received#sha256()}). Stages: {@link
 * PushStages#READ} the reads, {@link PushStages#HASH} the wait for the digest, {@link PushStages#HASH_THREAD} the
 * hashing thread's busy time (overlapping the rest); the hashing thread's CPU time counts in the push's CPU time.
 *
 * <p>A body whose connection fails (closed or timed out mid-body), or that ends before its {@code Content-Length},
 * is the client's error: 400, logged at DEBUG.
 */
final class PushBody {
    private static final Logger log = LoggerFactory.getLogger(PushBody.class);
    /** The bytes a client must have sent before the rest of its declared length is reserved. */
    static final int RESERVE_AFTER_BYTES = 1 << 20;
    /** Bytes read between two hand-overs to the hashing thread. */
    static final int HAND_OFF_BYTES = 1 << 20;

    /**
     * A received body and the SHA-256 of exactly its bytes (lower-case hex), which may still be being computed on the
     * hashing thread: {@link #sha256()} waits for it (stage {@link PushStages#HASH}, the hashing thread's busy time as
     * {@link PushStages#HASH_THREAD}). {@link #close} abandons a digest nobody waited for.
     */
    static final class Received implements AutoCloseable {
        private final byte[] bytes;
        private final OverlappedSha256 hasher;
        private final PushStages stages;
        private String sha256;

        private Received(byte[] bytes, String sha256) {
            this.bytes = bytes;
            this.sha256 = sha256;
            this.hasher = null;
            this.stages = null;
        }

        private Received(byte[] bytes, OverlappedSha256 hasher, PushStages stages) {
            this.bytes = bytes;
            this.hasher = hasher;
            this.stages = stages;
        }

        /** A body whose SHA-256 is known. */
        static Received hashed(byte[] bytes, String sha256) {
            return new Received(bytes, sha256);
        }

        byte[] bytes() {
            return bytes;
        }

        /** The SHA-256 of the body, waiting for the hashing thread to finish it. */
        synchronized String sha256() {
            if (sha256 == null) {
                OverlappedSha256.Digest digest = hasher.await();
                stages.lap(PushStages.HASH);
                stages.addConcurrent(PushStages.HASH_THREAD, digest.busyNanos(), digest.cpuNanos());
                sha256 = digest.hex();
            }
            return sha256;
        }

        @Override
        public void close() {
            if (hasher != null) {
                hasher.close();
            }
        }
    }

    private PushBody() {}

    /** The body, not hashed (an adapter push: small, verified by {@code AdapterInstall}). */
    static byte[] read(HttpServletRequest request) throws IOException {
        InputStream in = request.getInputStream(); // opened first: 413 here for a declared length over the limit
        long declared = request.getContentLengthLong();
        return declared < 0 ? readChunked(in) : readDeclared(in, declared, null, null);
    }

    /**
     * The body and its SHA-256, computed on another thread while it is read and after ({@link OverlappedSha256}); the
     * time goes to {@code stages}. The caller closes it (abandoning a digest nobody waited for).
     */
    static Received receive(HttpServletRequest request, PushStages stages) throws IOException {
        InputStream in = request.getInputStream(); // opened first: 413 here for a declared length over the limit
        long declared = request.getContentLengthLong();
        if (declared < 0) {
            byte[] all = readChunked(in);
            stages.lap(PushStages.READ);
            MessageDigest sha = OverlappedSha256.sha256();
            String hex = HexFormat.of().formatHex(sha.digest(all));
            stages.lap(PushStages.HASH);
            return Received.hashed(all, hex);
        }
        OverlappedSha256 sha = new OverlappedSha256();
        try {
            byte[] bytes = readDeclared(in, declared, sha, stages);
            stages.lap(PushStages.READ);
            sha.end(); // the digest is awaited by Received.sha256(): the caller checks the content meanwhile
            return new Received(bytes, sha, stages);
        } catch (RuntimeException | Error e) {
            sha.close();
            throw e;
        }
    }

    private static byte[] readChunked(InputStream in) {
        try {
            return in.readAllBytes(); // grows by doubling, capped by the size filter
        } catch (IOException e) {
            throw unreadable(e, -1, -1);
        }
    }

    /**
     * Exactly {@code declared} bytes (at most {@code gspo.rollout.max-weights-bytes}, checked by the size filter),
     * each filled range handed to {@code sha} when given.
     */
    private static byte[] readDeclared(InputStream in, long declared, OverlappedSha256 sha, PushStages stages) {
        if (declared > Integer.MAX_VALUE - 8) { // the size filter's limit is below this: a configuration error
            throw new IllegalStateException("a declared body of " + declared + " bytes does not fit in an array");
        }
        int length = (int) declared;
        Filler filler = new Filler(in, sha, stages);
        try {
            byte[] first = new byte[Math.min(length, RESERVE_AFTER_BYTES)];
            filler.fill(first, 0, length);
            if (first.length == length) {
                return first;
            }
            byte[] body = new byte[length]; // the client has sent RESERVE_AFTER_BYTES: reserve the declared length
            System.arraycopy(first, 0, body, 0, first.length);
            filler.fill(body, first.length, length);
            return body;
        } catch (IOException e) {
            throw unreadable(e, filler.read, declared);
        }
    }

    /** Reads into arrays, counting, and hands each {@link #HAND_OFF_BYTES} read (and the rest) to the hasher. */
    private static final class Filler {
        private final InputStream in;
        private final OverlappedSha256 sha;
        private final PushStages stages;
        private long read;

        Filler(InputStream in, OverlappedSha256 sha, PushStages stages) {
            this.in = in;
            this.sha = sha;
            this.stages = stages;
        }

        /** Fills {@code array[from, array.length)} of a body of {@code declared} bytes. */
        void fill(byte[] array, int from, int declared) throws IOException {
            int pos = from;
            int handed = from;
            while (pos < array.length) {
                int n = in.read(array, pos, array.length - pos);
                if (n < 0) {
                    throw InvalidRequestException.badRequest(
                            "body",
                            "the body ended after " + read + " of the " + declared
                                    + " bytes its Content-Length declares");
                }
                pos += n;
                read += n;
                if (stages != null) {
                    stages.lap(PushStages.READ);
                }
                if (sha != null && (pos - handed >= HAND_OFF_BYTES || pos == array.length)) {
                    sha.update(array, handed, pos - handed);
                    handed = pos;
                }
            }
        }
    }

    private static InvalidRequestException unreadable(IOException e, long read, long declared) {
        log.debug("weight push body failed after {} of {} bytes", read, declared, e);
        return InvalidRequestException.badRequest(
                "body",
                "the body could not be read after " + (read < 0 ? "some" : Long.toString(read)) + " of "
                        + (declared < 0 ? "an unknown number of" : Long.toString(declared))
                        + " bytes: the connection was closed or timed out");
    }
}
