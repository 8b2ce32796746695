package dev.gspo.optimizer.publish;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalLong;

/** Reads a replica's serving version from {@code GET /v1/policy}. */
public final class ReplicaVersion {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ReplicaVersion() {}

    public static OptionalLong of(HttpClient http, URI replica, Duration timeout) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(replica.resolve("/v1/policy"))
                            .timeout(timeout)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(JSON.readTree(r.body()).path("version").asLong(-1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        } catch (Exception e) {
            return OptionalLong.empty();
        }
    }
}
