package dev.gspo.optimizer.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * HTTP/1.1 over a plain socket, for what {@code java.net.http} refuses to send: paths with {@code ;} and broken
 * {@code %} escapes, oversized headers, bodies of hundreds of megabytes that are generated while they are sent (never
 * held in memory), and requests the server answers before it has read them.
 */
public final class RawHttp {
    /** Status, content type and body of an answer. */
    public record Response(int status, String contentType, String body) {}

    private RawHttp() {}

    /** A request without a body: {@code head} is the request line and headers, without the blank line. */
    public static Response send(int port, String head) {
        return send(port, head, new byte[0], 0, false);
    }

    /**
     * Sends {@code head}, then {@code prefix} followed by {@code fill} spaces (chunked if {@code chunked}, else with the
     * Content-Length {@code head} must declare), while the answer is read; a server that answers early and closes the
     * connection stops the sending.
     */
    public static Response send(int port, String head, byte[] prefix, long fill, boolean chunked) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write((head + "\r\nConnection: close\r\n" + (chunked ? "Transfer-Encoding: chunked\r\n" : "") + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            Thread writer = Thread.ofVirtual().start(() -> writeBody(out, prefix, fill, chunked));
            Response response = read(socket.getInputStream());
            writer.interrupt();
            return response;
        } catch (IOException e) {
            throw new UncheckedIOException("request to 127.0.0.1:" + port + " failed", e);
        }
    }

    private static void writeBody(OutputStream out, byte[] prefix, long fill, boolean chunked) {
        byte[] block = new byte[64 * 1024];
        Arrays.fill(block, (byte) ' ');
        try {
            writePart(out, prefix, prefix.length, chunked);
            for (long left = fill; left > 0 && !Thread.currentThread().isInterrupted(); left -= block.length) {
                writePart(out, block, (int) Math.min(block.length, left), chunked);
            }
            if (chunked) {
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            out.flush();
        } catch (IOException e) {
            // the server answered and closed the connection before the whole body was sent: that is the point
        }
    }

    private static void writePart(OutputStream out, byte[] bytes, int length, boolean chunked) throws IOException {
        if (length == 0) {
            return;
        }
        if (chunked) {
            out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        out.write(bytes, 0, length);
        if (chunked) {
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    private static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try {
            in.transferTo(all);
        } catch (IOException e) {
            // a reset after the answer (the server closed with unread body bytes): keep what arrived
        }
        String text = all.toString(StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || end < 0) {
            throw new IOException("no HTTP answer; got: " + text.substring(0, Math.min(200, text.length())));
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        String contentType = "";
        boolean chunkedBody = false;
        for (String line : lines) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-type:")) {
                contentType = line.substring(13).strip();
            }
            chunkedBody |= lower.startsWith("transfer-encoding:") && lower.contains("chunked");
        }
        String body = text.substring(end + 4);
        return new Response(status, contentType, chunkedBody ? dechunk(body) : body);
    }

    private static String dechunk(String body) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (at < body.length()) {
            int nl = body.indexOf("\r\n", at);
            if (nl < 0) {
                break;
            }
            int size = Integer.parseInt(body.substring(at, nl).strip(), 16);
            if (size == 0) {
                break;
            }
            out.append(body, nl + 2, Math.min(body.length(), nl + 2 + size));
            at = nl + 2 + size + 2;
        }
        return out.toString();
    }
}
