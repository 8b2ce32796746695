package dev.gspo.common.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded generator of hostile HTTP requests for fuzz tests of a whole service, sent with {@link RawHttp}: every
 * method (and an unknown one), the service's paths with odd characters ({@code ;} path parameters, a lone or invalid
 * {@code %}, encoded slashes and backslashes, NUL, {@code ..}, doubled slashes, raw non-ASCII, overlong paths),
 * content types a request should not have ({@code multipart/form-data} without a boundary, unparseable ones),
 * unparseable {@code Accept} headers, overlong and malformed headers, {@code Content-Length} values that lie (huge,
 * negative, not a number) and broken chunked bodies, with bodies that are valid JSON, JSON with a duplicate key
 * ({@link JsonFuzz#duplicateKey}) or random bytes. Seeded, so a failing case can be replayed from its index.
 *
 * <p>A declared length is either the true one or one no server accepts (beyond 2 GB, or not a number), so that no
 * case leaves the server waiting for bytes that never come.
 */
public final class RequestFuzz {
    /** A request to send with {@link RawHttp#send}. */
    public record Request(String method, String target, List<String> headers, byte[] body) {
        /** Request line and header lines, CRLF-separated, for {@link RawHttp#send}. */
        public String head() {
            return method + " " + target + " HTTP/1.1\r\n" + String.join("\r\n", headers);
        }

        /** For assertion messages: the request line and headers, each cut to 120 characters. */
        public String describe() {
            List<String> lines = new ArrayList<>();
            lines.add(method + " " + target);
            lines.addAll(headers);
            return String.join(
                            " | ", lines.stream().map(RequestFuzz::abbreviate).toList()) + " | body " + body.length
                    + " bytes";
        }
    }

    private static final List<String> METHODS =
            List.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "FROB");
    private static final List<String> PATH_SUFFIXES = List.of(
            ";a=%",
            ";a=%zz",
            ";a=b",
            ";",
            "%",
            "%zz",
            "%2F",
            "%2fweights",
            "%5Cx",
            "%00",
            "/..;/x",
            "/../..",
            "//",
            "/.",
            "?a=%",
            "?a=%zz&b",
            "/é",
            "/" + "x".repeat(9_000));
    private static final List<String> CONTENT_TYPES = List.of(
            "application/json",
            "application/octet-stream",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=xyz",
            "multipart/mixed",
            "application/x-www-form-urlencoded",
            "text/plain",
            ";;;",
            "application/json; charset=nope",
            "*/*");
    private static final List<String> ACCEPTS =
            List.of("*/*", "application/json", "application/problem+json", "text/html", "image/png", "x", ";;");
    private static final List<String> AUTHORIZATIONS = List.of(
            "Bearer wrong", "bearer wrong", "BEARER", "Bearer", "Basic Zm9vOmJhcg==", "Bearer " + "t".repeat(9_000));
    private static final List<String> LYING_LENGTHS =
            List.of("3000000000", Long.toString(Long.MAX_VALUE), "99999999999999999999", "-1", "12abc", "");

    private final SplittableRandom rng;
    private final List<String> paths;
    private final JsonFuzz json;

    /**
     * @param paths     the service's paths (each starting with {@code /}), including ones it does not serve
     * @param validJson a valid JSON body of the service, the seed of the JSON bodies
     */
    public RequestFuzz(long seed, List<String> paths, String validJson) {
        this.rng = new SplittableRandom(seed);
        this.paths = List.copyOf(paths);
        this.json = new JsonFuzz(seed, validJson);
    }

    public Request next() {
        String method = pick(METHODS);
        String target = pick(paths) + (rng.nextInt(3) == 0 ? "" : pick(PATH_SUFFIXES));
        List<String> headers = new ArrayList<>();
        headers.add("Host: 127.0.0.1");
        if (rng.nextInt(3) > 0) {
            headers.add("Content-Type: " + pick(CONTENT_TYPES));
        }
        if (rng.nextInt(3) == 0) {
            headers.add("Accept: " + pick(ACCEPTS));
        }
        if (rng.nextInt(4) == 0) {
            headers.add("Authorization: " + pick(AUTHORIZATIONS));
        }
        switch (rng.nextInt(8)) {
            case 0 -> headers.add("X-Padding: " + "p".repeat(pick(List.of(9_000, 70_000))));
            case 1 -> headers.add("X-Control: a\u0001b");
            case 2 -> headers.add("Bad Header: x");
            default -> {}
        }
        byte[] body = body();
        switch (rng.nextInt(6)) {
            case 0 -> headers.add("Content-Length: " + pick(LYING_LENGTHS));
            case 1 -> {
                headers.add("Transfer-Encoding: chunked");
                body = ("zz\r\n" + new String(body, StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1);
            }
            default -> headers.add("Content-Length: " + body.length);
        }
        return new Request(method, target, headers, body);
    }

    private byte[] body() {
        return switch (rng.nextInt(5)) {
            case 0 -> new byte[0];
            case 1 -> json.next().getBytes(StandardCharsets.UTF_8);
            case 2 -> json.duplicateKey().getBytes(StandardCharsets.UTF_8);
            case 3 ->
                "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xyz--\r\n"
                        .getBytes(StandardCharsets.US_ASCII);
            default -> {
                byte[] b = new byte[rng.nextInt(1, 300)];
                rng.nextBytes(b);
                yield b;
            }
        };
    }

    private <T> T pick(List<T> options) {
        return options.get(rng.nextInt(options.size()));
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "… (" + s.length() + " chars)" : s;
    }
}
