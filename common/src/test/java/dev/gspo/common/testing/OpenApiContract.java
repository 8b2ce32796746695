package dev.gspo.common.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A running service's published OpenAPI document ({@code /v3/api-docs}) as the judge of its real answers: each exchange
 * a test makes through {@link #exchange} is validated against the document (status declared for the operation,
 * content type, body schema, declared headers; the request too when it is meant to be valid), and {@link #uncovered}
 * names every (operation, status) the document declares that no exchange produced, so the document can drift neither
 * way. Uses Atlassian's swagger-request-validator, which reads OpenAPI 3.0 and by default refuses properties a schema
 * does not declare.
 */
public final class OpenApiContract {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final JsonNode spec;
    private final OpenApiInteractionValidator validator;
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Set<String> seen = new TreeSet<>();

    private OpenApiContract(URI base, JsonNode spec) {
        this.base = base;
        this.spec = spec;
        this.validator = OpenApiInteractionValidator.createForInlineApiSpecification(spec.toString())
                .build();
    }

    /** Reads the document the service at {@code base} publishes, with these headers (e.g. a read token). */
    public static OpenApiContract of(URI base, Map<String, String> headers) {
        HttpResponse<String> r = send(base, "GET", "/v3/api-docs", headers, null);
        assertThat(r.statusCode()).as("GET /v3/api-docs: %s", r.body()).isEqualTo(200);
        try {
            return new OpenApiContract(base, JSON.readTree(r.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public JsonNode spec() {
        return spec;
    }

    /** One exchange with the service; its request is only sent, not judged (it may be wrong on purpose). */
    public Exchange exchange(String method, String template, String path) {
        return new Exchange(base, method, template, path);
    }

    /** As {@link #exchange}, with another instance of the same service (e.g. one configured otherwise). */
    public Exchange exchange(URI otherBase, String method, String template, String path) {
        return new Exchange(otherBase, method, template, path);
    }

    /**
     * Validates an answer obtained otherwise (e.g. by {@link RawHttp}, for a request {@link HttpClient} will not send)
     * against the document, and counts it as covering {@code METHOD template status}.
     */
    public void answer(String method, String template, String path, RawHttp.Response r) {
        SimpleResponse.Builder response = SimpleResponse.Builder.status(r.status());
        r.headers().forEach(response::withHeader);
        if (!r.body().isEmpty()) {
            response.withBody(r.body());
        }
        ValidationReport report = validator.validateResponse(path, Request.Method.valueOf(method), response.build());
        assertThat(report.getMessages())
                .as("%s %s → %d %s does not match the published document", method, path, r.status(), r.body())
                .isEmpty();
        seen.add(method + " " + template + " " + r.status());
    }

    /** Every {@code METHOD /template status} the document declares and no exchange produced, except {@code exempt}. */
    public Set<String> uncovered(Set<String> exempt) {
        Set<String> declared = new TreeSet<>();
        spec.path("paths")
                .properties()
                .forEach(path -> path.getValue().properties().forEach(op -> {
                    for (Iterator<String> codes =
                                    op.getValue().path("responses").fieldNames();
                            codes.hasNext(); ) {
                        declared.add(op.getKey().toUpperCase() + " " + path.getKey() + " " + codes.next());
                    }
                }));
        declared.removeAll(seen);
        declared.removeAll(exempt);
        return declared;
    }

    /** A request to send; {@link #expect} sends it and validates the answer (and the request, if {@link #valid}). */
    public final class Exchange {
        private final URI target;
        private final String method;
        private final String template;
        private final String path;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private byte[] body;
        private boolean validRequest;

        private Exchange(URI target, String method, String template, String path) {
            this.target = target;
            this.method = method;
            this.template = template;
            this.path = path;
        }

        public Exchange header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        public Exchange json(String json) {
            headers.put("Content-Type", "application/json");
            body = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return this;
        }

        public Exchange body(String contentType, byte[] bytes) {
            headers.put("Content-Type", contentType);
            body = bytes;
            return this;
        }

        /** The request itself must fit the document too (a success case: what a client generated from it sends). */
        public Exchange valid() {
            validRequest = true;
            return this;
        }

        /** Sends the request, checks the status, validates the answer against the document; returns the answer. */
        public HttpResponse<String> expect(int status) {
            HttpResponse<String> r = send(target, method, path, headers, body);
            String what = method + " " + path + " → " + r.statusCode() + " " + abbreviate(r.body());
            assertThat(r.statusCode()).as(what).isEqualTo(status);
            SimpleResponse.Builder response = SimpleResponse.Builder.status(r.statusCode());
            r.headers().map().forEach((name, values) -> response.withHeader(name, values));
            if (!r.body().isEmpty()) { // a binary body as lossy text: its schema is a string of any bytes
                response.withBody(r.body());
            }
            ValidationReport report;
            String bare = path.replaceFirst("\\?.*$", "");
            if (validRequest) {
                SimpleRequest.Builder request = new SimpleRequest.Builder(method, bare);
                if (path.contains("?")) {
                    for (String pair : path.substring(path.indexOf('?') + 1).split("&")) {
                        int eq = pair.indexOf('=');
                        request.withQueryParam(
                                eq < 0 ? pair : pair.substring(0, eq), eq < 0 ? "" : pair.substring(eq + 1));
                    }
                }
                headers.forEach(request::withHeader);
                if (body != null) { // a binary body as Latin-1 text, one character per byte
                    boolean json = headers.getOrDefault("Content-Type", "").startsWith("application/json");
                    request.withBody(new String(
                            body,
                            json
                                    ? java.nio.charset.StandardCharsets.UTF_8
                                    : java.nio.charset.StandardCharsets.ISO_8859_1));
                }
                report = validator.validate(request.build(), response.build());
            } else {
                report = validator.validateResponse(bare, Request.Method.valueOf(method), response.build());
            }
            assertThat(report.getMessages())
                    .as("%s does not match the published document", what)
                    .isEmpty();
            seen.add(method + " " + template + " " + status);
            return r;
        }
    }

    private static HttpResponse<String> send(
            URI target, String method, String path, Map<String, String> headers, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(target.resolve(path))
                .timeout(Duration.ofSeconds(60))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 400 ? s.substring(0, 400) + "…" : s;
    }

    /** The declared status codes of one operation, e.g. {@code ("post", "/v1/runs")}. */
    public List<String> declared(String method, String template) {
        List<String> codes = new java.util.ArrayList<>();
        spec.path("paths")
                .path(template)
                .path(method)
                .path("responses")
                .fieldNames()
                .forEachRemaining(codes::add);
        return codes;
    }
}
