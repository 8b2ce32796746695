package dev.gspo.common.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests {@link java.net.http.HttpClient} refuses to send: a {@code %} alone in a
 * path, a 20 KB header, a {@code Content-Length} that lies about the body. One request per connection
 * ({@code Connection: close}); the answer is read to its declared length, to the end of its chunks, or to EOF (an
 * answer to {@code HEAD}: its head only).
 */
public final class RawHttp {
    /** Bounds every read, so a server that waits for bytes that never come fails the test instead of hanging it. */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(20);

    /** An answer: status, headers (names lower-cased, first value), body as UTF-8 text. */
    public record Response(int status, Map<String, String> headers, String body) {
        public String contentType() {
            return headers.getOrDefault("content-type", "");
        }
    }

    private RawHttp() {}

    /**
     * Sends {@code head} (request line and header lines, each without its CRLF; {@code Connection: close} and the
     * blank line are added) and then {@code body} as it is.
     */
    public static Response send(int port, String head, byte[] body) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            try {
                OutputStream out = socket.getOutputStream();
                out.write((head + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                out.write(body);
                out.flush();
            } catch (IOException closedEarly) {
                // the server may answer and close before it has read everything (a 20 KB header): read that answer
            }
            return read(socket.getInputStream(), head.startsWith("HEAD "));
        } catch (IOException e) {
            throw new UncheckedIOException("no answer to " + firstLine(head) + ": " + e, e);
        }
    }

    private static Response read(InputStream in, boolean noBody) throws IOException {
        String statusLine = line(in);
        if (statusLine == null || !statusLine.startsWith("HTTP/1.1 ")) {
            throw new IOException("not an HTTP/1.1 status line: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            headers.putIfAbsent(
                    h.substring(0, colon).strip().toLowerCase(Locale.ROOT),
                    h.substring(colon + 1).strip());
        }
        byte[] body;
        if (noBody) {
            body = new byte[0]; // an answer to HEAD has the length of a body it does not carry
        } else if (headers.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int size = chunkSize(in); size > 0; size = chunkSize(in)) {
                b.writeBytes(in.readNBytes(size));
                line(in);
            }
            body = b.toByteArray();
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static int chunkSize(InputStream in) throws IOException {
        String size = line(in);
        return size == null ? 0 : Integer.parseInt(size.split(";")[0].strip(), 16);
    }

    /** One CRLF-terminated line (ISO-8859-1), or null at EOF. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c >= 0; c = in.read()) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    private static String firstLine(String head) {
        int nl = head.indexOf('\r');
        String first = nl < 0 ? head : head.substring(0, nl);
        return first.length() > 200 ? first.substring(0, 200) + "…" : first;
    }
}
