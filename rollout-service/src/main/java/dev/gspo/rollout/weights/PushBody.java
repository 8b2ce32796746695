package dev.gspo.rollout.weights;

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
 * when the last byte is, instead of costing a second pass over the whole body afterwards.
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
        return read(request, null);
    }

    /** The body and its SHA-256, computed while it is read. */
    static Received receive(HttpServletRequest request) throws IOException {
        MessageDigest sha = sha256();
        byte[] bytes = read(request, sha);
        return new Received(bytes, HexFormat.of().formatHex(sha.digest()));
    }

    private static byte[] read(HttpServletRequest request, MessageDigest digest) throws IOException {
        // opened first: the size filter refuses a declared length over the limit here, before anything is read
        InputStream in = request.getInputStream();
        long declared = request.getContentLengthLong();
        long read = 0;
        try {
            if (declared < 0) {
                byte[] all = in.readAllBytes(); // chunked: grows the same way, capped by the size filter
                if (digest != null) {
                    digest.update(all);
                }
                return all;
            }
            if (declared == 0) {
                return new byte[0];
            }
            byte[] body = new byte[(int) Math.min(declared, FIRST_BUFFER_BYTES)];
            int n;
            while ((n = in.read(body, (int) read, body.length - (int) read)) >= 0) {
                if (digest != null) {
                    digest.update(body, (int) read, n);
                }
                read += n;
                if (read == body.length) {
                    if (read == declared) {
                        break;
                    }
                    body = Arrays.copyOf(body, (int) Math.min(declared, 2L * body.length));
                }
            }
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

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
