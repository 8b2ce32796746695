package dev.gspo.rollout.weights;

import dev.gspo.common.replica.PushStages;
import dev.gspo.rollout.validation.InvalidRequestException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a weight push body into one array, allocated as the bytes arrive: a declared {@code Content-Length} is
 * trusted as a ceiling, never as a reservation. (It used to be allocated at its declared size before any byte came:
 * three held pushes of 1 KB each declaring 1 GB ran a 2 GB replica out of memory.) The buffer starts at 64 KB and
 * doubles, capped at the declared length, so a body that arrives whole ends in an array of exactly its size, with
 * at most one extra copy of it made on the way; the size filter has already refused a declared length over
 * {@code gspo.rollout.max-weights-bytes} and caps a chunked body as it streams.
 *
 * <p>{@link #receive} hashes the bytes as they arrive (SHA-256 over each read, in order), so the checksum is ready
 * when the last byte is, instead of costing a second pass over the whole body afterwards. It laps {@link
 * PushStages#READ} after every read from the socket and {@link PushStages#HASH} after every digest update, so the
 * two costs are told apart (SHA-256 with the JDK's SHA-NI intrinsic runs at ~1.6 GB/s on the bench machine).
 *
 * <p>A body whose connection fails (closed or timed out mid-body) is the client's error: 400, logged at DEBUG.
 */
final class PushBody {
    private static final Logger log = LoggerFactory.getLogger(PushBody.class);
    static final int FIRST_BUFFER_BYTES = 64 << 10;

    /** A received body and the SHA-256 of exactly its bytes (lower-case hex). */
    record Received(byte[] bytes, String sha256) {}

    private PushBody() {}

    /** The body, not hashed (an adapter push: small, verified by {@code AdapterInstall}). */
    static byte[] read(HttpServletRequest request) throws IOException {
        return read(request, null, null);
    }

    /**
     * The body and its SHA-256, computed while it is read; the time goes to {@code stages}: reading to {@link
     * PushStages#READ}, hashing to {@link PushStages#HASH}.
     */
    static Received receive(HttpServletRequest request, PushStages stages) throws IOException {
        MessageDigest sha = sha256();
        byte[] bytes = read(request, sha, stages);
        String hex = HexFormat.of().formatHex(sha.digest());
        stages.lap(PushStages.HASH);
        return new Received(bytes, hex);
    }

    private static byte[] read(HttpServletRequest request, MessageDigest digest, PushStages stages) throws IOException {
        // opened first: the size filter refuses a declared length over the limit here, before anything is read
        InputStream in = request.getInputStream();
        long declared = request.getContentLengthLong();
        long read = 0;
        try {
            if (declared < 0) {
                byte[] all = in.readAllBytes(); // chunked: grows the same way, capped by the size filter
                lap(stages, PushStages.READ);
                if (digest != null) {
                    digest.update(all);
                    lap(stages, PushStages.HASH);
                }
                return all;
            }
            if (declared == 0) {
                return new byte[0];
            }
            byte[] body = new byte[(int) Math.min(declared, FIRST_BUFFER_BYTES)];
            int n;
            while ((n = in.read(body, (int) read, body.length - (int) read)) >= 0) {
                lap(stages, PushStages.READ);
                if (digest != null) {
                    digest.update(body, (int) read, n);
                    lap(stages, PushStages.HASH);
                }
                read += n;
                if (read == body.length) {
                    if (read == declared) {
                        break;
                    }
                    body = Arrays.copyOf(body, (int) Math.min(declared, 2L * body.length));
                    lap(stages, PushStages.READ); // growing the array is part of reading
                }
            }
            lap(stages, PushStages.READ);
            // a body that ended early is what it is: its checksum will not match
            return read == body.length ? body : Arrays.copyOf(body, (int) read);
        } catch (IOException e) {
            log.debug("weight push body failed after {} of {} bytes", read, declared, e);
            throw InvalidRequestException.badRequest(
                    "body",
                    "the body could not be read after " + read + " of "
                            + (declared < 0 ? "an unknown number of" : Long.toString(declared))
                            + " bytes: the connection was closed or timed out");
        }
    }

    private static void lap(PushStages stages, String stage) {
        if (stages != null) {
            stages.lap(stage);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
