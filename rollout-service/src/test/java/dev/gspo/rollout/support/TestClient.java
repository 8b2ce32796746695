package dev.gspo.rollout.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.wire.PolicyInfo;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The service seen as a client sees it: {@link HttpClient} and a Jackson 2 mapper, as the optimizer-service uses the
 * wire records (lenient about unknown fields, like a forward-compatible client).
 */
public final class TestClient {
    public static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI base;

    public TestClient(int port) {
        this.base = URI.create("http://127.0.0.1:" + port);
    }

    public HttpResponse<String> post(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    public HttpResponse<String> postJson(Object body) {
        return post("/v1/rollouts", "application/json", write(body));
    }

    public RolloutResponse rollout(RolloutRequest request) {
        HttpResponse<String> r = postJson(request);
        assertThat(r.statusCode()).as("POST /v1/rollouts: %s", r.body()).isEqualTo(200);
        return read(r.body(), RolloutResponse.class);
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET().build());
    }

    public HttpResponse<byte[]> getBytes(String path) {
        try {
            return http.send(
                    HttpRequest.newBuilder(base.resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public PolicyInfo policy() {
        HttpResponse<String> r = get("/v1/policy");
        assertThat(r.statusCode()).isEqualTo(200);
        return read(r.body(), PolicyInfo.class);
    }

    /** A push with the given headers; a null header is left out. */
    public HttpResponse<String> push(byte[] body, String version, String sha256, String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/v1/policy"))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (version != null) {
            b.header("X-Policy-Version", version);
        }
        if (sha256 != null) {
            b.header("X-Content-SHA256", sha256);
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return send(b.build());
    }

    /** An adapter push ({@code PUT /v1/policy/adapter}) with the given headers; a null header is left out. */
    public HttpResponse<String> pushAdapter(
            byte[] body, String version, String sha256, String baseSha256, String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/v1/policy/adapter"))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (version != null) {
            b.header("X-Policy-Version", version);
        }
        if (sha256 != null) {
            b.header("X-Content-SHA256", sha256);
        }
        if (baseSha256 != null) {
            b.header("X-Base-SHA256", baseSha256);
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return send(b.build());
    }

    public HttpResponse<String> push(long version, byte[] body) {
        return push(body, Long.toString(version), PolicyModel.sha256(body), "Bearer " + RolloutIT.PUSH_TOKEN);
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static String write(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static <T> T read(String json, Class<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
