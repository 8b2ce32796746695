package dev.gspo.optimizer.adapters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.optimizer.fleet.FleetException;
import dev.gspo.optimizer.fleet.ReplicaHealth;
import dev.gspo.optimizer.fleet.ReplicaSync;
import dev.gspo.optimizer.fleet.RolloutEndpoints;
import dev.gspo.optimizer.loop.PolicySink;
import dev.gspo.optimizer.loop.PublishResult;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a LoRA run's adapter under its name ({@code PUT /v1/adapters/{name}}), so that several runs, one per
 * optimizer process, share one rollout fleet over the same base weights; full and merged-adapter publishing go to the
 * process's {@link PolicySink} as before.
 *
 * <p>Per replica, in parallel: the adapter is pushed; a replica that answers 409 {@code base_mismatch} (it serves
 * other weights than the run's base) is looked at ({@code GET /v1/adapters}): with no adapter loaded it gets the base
 * first (a full push, one version above its own) and then the adapter; with other adapters loaded it cannot take this
 * one (a full push would pull the base from under them), and on the run's first publish the run fails naming them. A
 * 409 saying the replica already serves this version or a newer one counts as done. A replica that was down catches
 * up at the next publish, or when it answers a rollout request with 404/409 ({@link #bringUpToDate}).
 */
public final class NamedAdapterPublisher implements PolicySink, ReplicaSync {
    private static final Logger log = LoggerFactory.getLogger(NamedAdapterPublisher.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The latest adapter published, kept for replicas that turn out to be behind. */
    private record Latest(String name, long version, byte[] adapter, String sha256, Base base) {}

    private final PolicySink delegate;
    private final RolloutEndpoints endpoints;
    private final HttpClient http;
    private final String pushToken;
    private final Duration timeout;
    private final ReplicaHealth health;
    private final BiConsumer<String, PublishResult> listener;
    private volatile Latest latest;

    /**
     * @param delegate full weights and merged adapters ({@code PUT /v1/policy}, {@code /v1/policy/adapter})
     * @param listener told of every named publish (the adapter's name, what was sent)
     */
    public NamedAdapterPublisher(
            PolicySink delegate,
            RolloutEndpoints endpoints,
            HttpClient http,
            String pushToken,
            Duration timeout,
            ReplicaHealth health,
            BiConsumer<String, PublishResult> listener) {
        this.delegate = delegate;
        this.endpoints = endpoints;
        this.http = http;
        this.pushToken = pushToken;
        this.timeout = timeout;
        this.health = health;
        this.listener = listener;
    }

    @Override
    public PublishResult publish(long version, byte[] safetensors, String sha256) {
        return delegate.publish(version, safetensors, sha256);
    }

    @Override
    public void recordStage(String stage, long nanos) {
        delegate.recordStage(stage, nanos);
    }

    @Override
    public boolean publishesAdapters() {
        return delegate.publishesAdapters();
    }

    @Override
    public PublishResult publishAdapter(long version, byte[] adapter, String sha256) {
        return delegate.publishAdapter(version, adapter, sha256);
    }

    @Override
    public long highestReplicaVersion() {
        return delegate.highestReplicaVersion();
    }

    @Override
    public PublishResult publishNamedAdapter(
            String name, long version, byte[] adapter, String sha256, Base base, boolean first) {
        Latest l = new Latest(name, version, adapter, sha256, base);
        latest = l;
        List<URI> replicas = endpoints.current();
        List<URI> targets = health == null ? replicas : health.available(replicas);
        long start = System.nanoTime();
        AtomicLong bytes = new AtomicLong();
        List<PublishResult.Replica> results;
        try (ExecutorService pushes = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<PublishResult.Replica>> futures = targets.stream()
                    .map(r -> CompletableFuture.supplyAsync(() -> push(r, l, bytes), pushes))
                    .toList();
            results = futures.stream().map(CompletableFuture::join).toList();
        }
        PublishResult result =
                new PublishResult(version, bytes.get(), Duration.ofNanos(System.nanoTime() - start), results);
        List<String> conflicts = new ArrayList<>();
        for (PublishResult.Replica r : results) {
            if (!r.ok()) {
                log.warn("replica {} did not take adapter '{}' version {}: {}", r.endpoint(), name, version, r.error());
                if (r.error() != null && r.error().startsWith(OTHER_BASE)) {
                    conflicts.add(r.endpoint() + ": " + r.error());
                } else if (health != null) {
                    health.failed(r.endpoint(), 0, new FleetException(String.valueOf(r.error())));
                }
            }
        }
        listener.accept(name, result);
        if (first && !conflicts.isEmpty()) {
            throw new FleetException("the fleet serves other base weights than this run's (sha256 " + base.sha256()
                    + ") with other runs' adapters loaded, so this run cannot publish adapter '" + name + "' there: "
                    + String.join("; ", conflicts)
                    + ". Start the run from the fleet's base model, or use a fleet without adapters");
        }
        return result;
    }

    static final String OTHER_BASE = "other base";

    /** The adapter to one replica; the base first when it serves other weights and no adapter. */
    private PublishResult.Replica push(URI replica, Latest l, AtomicLong bytes) {
        bytes.addAndGet(l.adapter().length);
        Answer a = put(
                replica,
                "/v1/adapters/" + l.name(),
                l.version(),
                l.adapter(),
                l.sha256(),
                l.base().sha256());
        if (a.ok(l.version())) {
            return new PublishResult.Replica(replica, true, 1, null);
        }
        if (!"base_mismatch".equals(a.reason())) {
            return new PublishResult.Replica(replica, false, 1, a.error());
        }
        Fleet state = state(replica);
        if (state == null) {
            return new PublishResult.Replica(replica, false, 1, "cannot read GET /v1/policy and /v1/adapters");
        }
        List<String> others =
                state.adapters().stream().filter(n -> !n.equals(l.name())).toList();
        if (!others.isEmpty()) {
            return new PublishResult.Replica(
                    replica,
                    false,
                    1,
                    OTHER_BASE + ": it serves base " + state.sha256() + " with adapters " + others + " loaded");
        }
        if (!state.adapters().isEmpty()) { // only this run's own adapter, over another base: replace it
            delete(replica, l.name());
        }
        byte[] weights = l.base().safetensors().get();
        bytes.addAndGet(weights.length);
        Answer b = put(
                replica, "/v1/policy", state.version() + 1, weights, l.base().sha256(), null);
        if (b.status() / 100 != 2) {
            return new PublishResult.Replica(replica, false, 2, "base push: " + b.error());
        }
        log.info(
                "replica {} got this run's base weights ({} bytes) before adapter '{}'",
                replica,
                weights.length,
                l.name());
        bytes.addAndGet(l.adapter().length);
        Answer again = put(
                replica,
                "/v1/adapters/" + l.name(),
                l.version(),
                l.adapter(),
                l.sha256(),
                l.base().sha256());
        return again.ok(l.version())
                ? new PublishResult.Replica(replica, true, 3, null)
                : new PublishResult.Replica(replica, false, 3, again.error());
    }

    /** Brings a replica that answered 404/409 for the adapter up to its latest version; whether it took it. */
    @Override
    public boolean bringUpToDate(URI replica) {
        Latest l = latest;
        if (l == null) {
            return false;
        }
        AtomicLong bytes = new AtomicLong();
        PublishResult.Replica r = push(replica, l, bytes);
        listener.accept(l.name(), new PublishResult(l.version(), bytes.get(), Duration.ZERO, List.of(r)));
        if (!r.ok()) {
            log.warn(
                    "replica {} could not be brought to adapter '{}' version {}: {}",
                    replica,
                    l.name(),
                    l.version(),
                    r.error());
        }
        return r.ok();
    }

    @Override
    public List<URI> replicas() {
        return endpoints.current();
    }

    /** The highest version of {@code name} a reachable replica serves; 0 when none holds it. */
    @Override
    public long highestAdapterVersion(String name) {
        List<URI> replicas = endpoints.current();
        List<URI> asked = health == null ? replicas : health.available(replicas);
        long highest = 0;
        for (URI r : asked) {
            JsonNode info = get(r, "/v1/adapters/" + name);
            if (info != null) {
                highest = Math.max(highest, info.path("version").asLong(0));
            }
        }
        return highest;
    }

    /** What a replica serves: its version and SHA-256, and the names of its adapters. */
    private record Fleet(long version, String sha256, List<String> adapters) {}

    private Fleet state(URI replica) {
        JsonNode policy = get(replica, "/v1/policy");
        JsonNode adapters = get(replica, "/v1/adapters");
        if (policy == null || adapters == null) {
            return null;
        }
        List<String> names = new ArrayList<>();
        adapters.path("adapters").forEach(a -> names.add(a.path("name").asText()));
        return new Fleet(policy.path("version").asLong(), policy.path("sha256").asText(), names);
    }

    private JsonNode get(URI replica, String path) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(replica.resolve(path))
                            .timeout(timeout)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void delete(URI replica, String name) {
        try {
            http.send(
                    HttpRequest.newBuilder(replica.resolve("/v1/adapters/" + name))
                            .timeout(timeout)
                            .header("Authorization", "Bearer " + pushToken)
                            .DELETE()
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            log.debug("DELETE of adapter {} on {} failed: {}", name, replica, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A push's answer: status, the problem's reason and served version when it has them. */
    private record Answer(int status, String reason, long servedVersion, String error) {
        /** Taken, or the replica already serves this version or a newer one (pushes are idempotent). */
        boolean ok(long version) {
            return status / 100 == 2 || (status == 409 && "stale_version".equals(reason) && servedVersion >= version);
        }
    }

    private Answer put(URI replica, String path, long version, byte[] body, String sha256, String baseSha256) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(replica.resolve(path))
                    .timeout(timeout)
                    .header("Content-Type", "application/octet-stream")
                    .header("X-Policy-Version", Long.toString(version))
                    .header("X-Content-SHA256", sha256)
                    .header("Authorization", "Bearer " + pushToken)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
            if (baseSha256 != null) {
                b.header("X-Base-SHA256", baseSha256);
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 == 2) {
                return new Answer(r.statusCode(), null, version, null);
            }
            JsonNode problem = parse(r.body());
            String detail = problem != null && problem.path("detail").isTextual()
                    ? problem.get("detail").asText()
                    : abbreviate(r.body());
            return new Answer(
                    r.statusCode(),
                    problem == null ? null : problem.path("reason").asText(null),
                    problem == null ? -1 : problem.path("policyVersion").asLong(-1),
                    "HTTP " + r.statusCode() + ": " + detail);
        } catch (HttpTimeoutException e) {
            return new Answer(0, null, -1, "no answer within " + timeout);
        } catch (IOException e) {
            return new Answer(0, null, -1, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, null, -1, "interrupted");
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
