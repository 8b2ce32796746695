package dev.gspo.optimizer.publish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.optimizer.loop.PublishResult;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * Pushes one serialised weight set to every replica in parallel ({@code PUT /v1/policy}, body = the safetensors
 * bytes, with {@code X-Policy-Version}, {@code X-Content-SHA256} and the bearer token). The bytes are produced once
 * per version by the caller and streamed to each replica in one request: no per-tensor round trips, and no copy of
 * the array per replica ({@link SlicedBodyPublisher}). A full weight set is sent from one off-heap copy per version
 * ({@link DirectSendBuffers}: the HTTP client then copies nothing on the way to the socket), made once, slice by
 * slice as the first push sends it, and shared by every replica's push and by catch-ups of the same version; an
 * adapter (a few MB) is sent from its array.
 *
 * <p>A replica that fails is retried up to {@code attempts} times, except after a timeout: a replica that did not
 * answer within {@code timeout} is hung or overloaded, and another full timeout would only stall the step longer (it
 * catches up later, see {@code ReplicaHealth}). A 409 that says the replica already has this version (or a newer one)
 * counts as success: pushes are idempotent.
 */
public final class WeightPublisher {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http;
    private final String pushToken;
    private final Duration timeout;
    private final int attempts;
    private final ExecutorService executor;
    private final PublishStages stages;
    private final DirectSendBuffers sendBuffers = new DirectSendBuffers();

    public WeightPublisher(
            HttpClient http, String pushToken, Duration timeout, int attempts, ExecutorService executor) {
        this(http, pushToken, timeout, attempts, executor, new PublishStages());
    }

    /** @param stages where each push's {@link PublishStages#SEND} and {@link PublishStages#ANSWER} are recorded */
    public WeightPublisher(
            HttpClient http,
            String pushToken,
            Duration timeout,
            int attempts,
            ExecutorService executor,
            PublishStages stages) {
        this.http = http;
        this.pushToken = pushToken;
        this.timeout = timeout;
        this.attempts = Math.max(1, attempts);
        this.executor = executor;
        this.stages = stages;
    }

    /** Where this publisher's stage profile goes (also the version's serialise/sha256 stages, {@code PolicySink}). */
    public PublishStages stages() {
        return stages;
    }

    public PublishResult publish(List<URI> replicas, long version, byte[] safetensors, String sha256) {
        long start = System.nanoTime();
        List<PublishResult.Replica> results;
        try (DirectSendBuffers.Lease body = offHeap(version, safetensors, sha256)) {
            List<CompletableFuture<PublishResult.Replica>> futures = new ArrayList<>();
            for (URI replica : replicas) {
                futures.add(CompletableFuture.supplyAsync(
                        () -> pushWithRetries(replica, "/v1/policy", version, body, sha256, null), executor));
            }
            results = futures.stream().map(CompletableFuture::join).toList();
        }
        return new PublishResult(
                version,
                (long) safetensors.length * replicas.size(),
                Duration.ofNanos(System.nanoTime() - start),
                results);
    }

    /** The error of an adapter push that a replica refused because it keeps another base (push the base first). */
    public static final String BASE_MISMATCH = "base_mismatch";

    /** Brings one replica to {@code version} (used when a replica turns out to be behind). */
    public PublishResult.Replica pushWithRetries(URI replica, long version, byte[] safetensors, String sha256) {
        try (DirectSendBuffers.Lease body = offHeap(version, safetensors, sha256)) {
            return pushWithRetries(replica, "/v1/policy", version, body, sha256, null);
        }
    }

    /** A lease on the version's off-heap copy, filled as its pushes send it. */
    private DirectSendBuffers.Lease offHeap(long version, byte[] safetensors, String sha256) {
        return sendBuffers.acquire(version, safetensors, sha256);
    }

    /** A full weight push from the version's off-heap copy: each slice is copied in (stage {@code copy}) when needed. */
    private PublishResult.Replica pushWithRetries(
            URI replica, String path, long version, DirectSendBuffers.Lease body, String sha256, String baseSha256) {
        return pushWithRetries(replica, path, version, body.bytes(), sha256, baseSha256, end -> {
            long nanos = body.ready(end);
            if (nanos > 0) {
                stages.record(PublishStages.COPY, nanos);
            }
        });
    }

    /**
     * Pushes a LoRA adapter ({@code PUT /v1/policy/adapter}, with {@code X-Base-SHA256}); a replica that keeps another
     * base answers 409 {@code base_mismatch}, returned at once as an error starting with {@link #BASE_MISMATCH}.
     */
    public PublishResult.Replica pushAdapterWithRetries(
            URI replica, long version, byte[] adapter, String sha256, String baseSha256) {
        return pushWithRetries(
                replica, "/v1/policy/adapter", version, ByteBuffer.wrap(adapter), sha256, baseSha256, end -> {});
    }

    /**
     * @param body        the bytes from its position to its limit (not changed: each attempt sends views of it)
     * @param beforeSlice called with the end of each slice before it is sent ({@link SlicedBodyPublisher})
     */
    private PublishResult.Replica pushWithRetries(
            URI replica,
            String path,
            long version,
            ByteBuffer body,
            String sha256,
            String baseSha256,
            IntConsumer beforeSlice) {
        String error = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(replica.resolve(path))
                        .timeout(timeout)
                        .header("Content-Type", "application/octet-stream")
                        .header("X-Policy-Version", Long.toString(version))
                        .header("X-Content-SHA256", sha256)
                        .header("Authorization", "Bearer " + pushToken);
                if (baseSha256 != null) {
                    request.header("X-Base-SHA256", baseSha256);
                }
                long started = System.nanoTime();
                AtomicLong sent = new AtomicLong();
                HttpResponse<String> response = http.send(
                        request.PUT(new SlicedBodyPublisher(
                                        body,
                                        SlicedBodyPublisher.SLICE,
                                        () -> sent.set(System.nanoTime()),
                                        beforeSlice))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                long answered = System.nanoTime();
                if (sent.get() != 0) {
                    stages.record(PublishStages.SEND, sent.get() - started);
                    stages.record(PublishStages.ANSWER, answered - sent.get());
                }
                int status = response.statusCode();
                if (status == 409 && BASE_MISMATCH.equals(problemReason(response.body()))) {
                    return new PublishResult.Replica(
                            replica, false, attempt, BASE_MISMATCH + ": " + problemDetail(response.body()));
                }
                if (status / 100 == 2 || (status == 409 && replicaAtOrBeyond(replica, version))) {
                    return new PublishResult.Replica(replica, true, attempt, null);
                }
                error = "HTTP " + status + ": " + problemDetail(response.body());
                if (status == 401 || status == 403 || status == 400 || status == 422 || status == 413) {
                    return new PublishResult.Replica(replica, false, attempt, error); // retrying cannot help
                }
            } catch (HttpTimeoutException e) {
                return new PublishResult.Replica(replica, false, attempt, "no answer within " + timeout);
            } catch (IOException e) {
                error = e.getClass().getSimpleName() + ": " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new PublishResult.Replica(replica, false, attempt, "interrupted");
            }
        }
        return new PublishResult.Replica(replica, false, attempts, error);
    }

    private boolean replicaAtOrBeyond(URI replica, long version) {
        return ReplicaVersion.of(http, replica, timeout).orElse(-1L) >= version;
    }

    /** A replica's problem {@code reason}, or null. */
    static String problemReason(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n != null && n.path("reason").isTextual() ? n.get("reason").asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A replica's problem {@code detail} (what it says went wrong), else the start of its body. */
    static String problemDetail(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.path("detail").isTextual()) {
                return abbreviate(n.get("detail").asText());
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: the body as it is
        }
        return abbreviate(body);
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
