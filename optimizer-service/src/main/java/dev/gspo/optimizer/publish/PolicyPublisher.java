package dev.gspo.optimizer.publish;

import dev.gspo.optimizer.fleet.FleetException;
import dev.gspo.optimizer.fleet.ReplicaHealth;
import dev.gspo.optimizer.fleet.ReplicaSync;
import dev.gspo.optimizer.fleet.RolloutEndpoints;
import dev.gspo.optimizer.loop.PolicySink;
import dev.gspo.optimizer.loop.PublishResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the fleet on the trainer's latest version: publishes each new version to every available replica the
 * endpoints name now (a replica whose circuit is open is skipped, not waited for: it is behind, and catches up when it
 * answers a probe, see {@link ReplicaHealth}), and brings a single replica up to date when it turns out to be behind (a
 * replica that was down during a publish, or one that just started).
 */
public final class PolicyPublisher implements PolicySink, ReplicaSync {

    /** The latest published weights; serialised once per version, shared by every push. */
    public record Publication(long version, byte[] safetensors, String sha256) {}

    /** The latest adapter published over {@code base} (a LoRA run's versions after its first). */
    public record AdapterPublication(long version, byte[] adapter, String sha256, Publication base) {}

    private static final Logger log = LoggerFactory.getLogger(PolicyPublisher.class);
    private final RolloutEndpoints endpoints;
    private final WeightPublisher publisher;
    private final HttpClient http;
    private final Duration timeout;
    private final Consumer<PublishResult> listener;
    private final ReplicaHealth health;
    private volatile Publication latest;
    private volatile AdapterPublication latestAdapter;

    /** Every replica always pushed to. */
    public PolicyPublisher(
            RolloutEndpoints endpoints,
            WeightPublisher publisher,
            HttpClient http,
            Duration timeout,
            Consumer<PublishResult> listener) {
        this(endpoints, publisher, http, timeout, listener, null);
    }

    /**
     * @param versionTimeout how long a version read waits ({@link #highestReplicaVersion()})
     * @param health         the replicas' circuits (null: every replica always available); this publisher becomes
     *                       how it catches a replica up
     */
    public PolicyPublisher(
            RolloutEndpoints endpoints,
            WeightPublisher publisher,
            HttpClient http,
            Duration versionTimeout,
            Consumer<PublishResult> listener,
            ReplicaHealth health) {
        this.endpoints = endpoints;
        this.publisher = publisher;
        this.http = http;
        this.timeout = versionTimeout;
        this.listener = listener;
        this.health = health;
    }

    @Override
    public void recordStage(String stage, long nanos) {
        publisher.stages().record(stage, nanos);
    }

    @Override
    public PublishResult publish(long version, byte[] safetensors, String sha256) {
        latest = new Publication(version, safetensors, sha256);
        latestAdapter = null;
        List<URI> replicas = endpoints.current();
        PublishResult result =
                publisher.publish(health == null ? replicas : health.available(replicas), version, safetensors, sha256);
        result.replicas().forEach(r -> warnIfFailed(version, r));
        if (health != null) {
            for (PublishResult.Replica r : result.replicas()) {
                if (r.ok()) {
                    health.serves(r.endpoint(), version);
                } else {
                    health.failed(r.endpoint(), 0, new FleetException(String.valueOf(r.error())));
                }
            }
        }
        listener.accept(result);
        return result;
    }

    @Override
    public boolean publishesAdapters() {
        return true;
    }

    /**
     * Pushes an adapter over the last full publication to every available replica in parallel; one that keeps another
     * base (it restarted, or missed the base) gets the base first, then the adapter. Bytes count what was sent.
     */
    @Override
    public PublishResult publishAdapter(long version, byte[] adapter, String sha256) {
        Publication base = latest;
        if (base == null) {
            throw new IllegalStateException("an adapter needs its base published first");
        }
        AdapterPublication a = new AdapterPublication(version, adapter, sha256, base);
        latestAdapter = a;
        List<URI> replicas = endpoints.current();
        List<URI> targets = health == null ? replicas : health.available(replicas);
        long start = System.nanoTime();
        java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
        List<PublishResult.Replica> results;
        try (ExecutorService pushes = Executors.newVirtualThreadPerTaskExecutor()) {
            results =
                    targets.stream()
                            .map(r -> CompletableFuture.supplyAsync(() -> pushAdapter(r, a, bytes), pushes))
                            .toList()
                            .stream()
                            .map(CompletableFuture::join)
                            .toList();
        }
        PublishResult result =
                new PublishResult(version, bytes.get(), Duration.ofNanos(System.nanoTime() - start), results);
        result.replicas().forEach(r -> warnIfFailed(version, r));
        if (health != null) {
            for (PublishResult.Replica r : result.replicas()) {
                if (r.ok()) {
                    health.serves(r.endpoint(), version);
                } else {
                    health.failed(r.endpoint(), 0, new FleetException(String.valueOf(r.error())));
                }
            }
        }
        listener.accept(result);
        return result;
    }

    /** The adapter to one replica; the base first when the replica keeps another one. */
    private PublishResult.Replica pushAdapter(
            URI replica, AdapterPublication a, java.util.concurrent.atomic.AtomicLong bytes) {
        bytes.addAndGet(a.adapter().length);
        PublishResult.Replica r = publisher.pushAdapterWithRetries(
                replica, a.version(), a.adapter(), a.sha256(), a.base().sha256());
        if (r.ok() || r.error() == null || !r.error().startsWith(WeightPublisher.BASE_MISMATCH)) {
            return r;
        }
        Publication base = a.base();
        bytes.addAndGet(base.safetensors().length);
        PublishResult.Replica b = publisher.pushWithRetries(replica, base.version(), base.safetensors(), base.sha256());
        if (!b.ok()) {
            return b;
        }
        bytes.addAndGet(a.adapter().length);
        return publisher.pushAdapterWithRetries(replica, a.version(), a.adapter(), a.sha256(), base.sha256());
    }

    /** Pushes the latest version to one replica; false when it could not be brought up to date. */
    @Override
    public boolean bringUpToDate(URI replica) {
        AdapterPublication a = latestAdapter;
        if (a != null) {
            java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
            PublishResult.Replica r = pushAdapter(replica, a, bytes);
            warnIfFailed(a.version(), r);
            listener.accept(new PublishResult(a.version(), bytes.get(), Duration.ZERO, List.of(r)));
            if (r.ok() && health != null) {
                health.serves(replica, a.version());
            }
            return r.ok();
        }
        Publication p = latest;
        if (p == null) {
            return false;
        }
        PublishResult.Replica r = publisher.pushWithRetries(replica, p.version(), p.safetensors(), p.sha256());
        warnIfFailed(p.version(), r);
        listener.accept(new PublishResult(p.version(), p.safetensors().length, Duration.ZERO, List.of(r)));
        if (r.ok() && health != null) {
            health.serves(replica, p.version());
        }
        return r.ok();
    }

    /** Every push a replica did not take is logged, with what the replica said (its problem {@code detail}). */
    private static void warnIfFailed(long version, PublishResult.Replica r) {
        if (!r.ok()) {
            log.warn(
                    "replica {} did not take policy version {} ({} attempt(s)): {}",
                    r.endpoint(),
                    version,
                    r.attempts(),
                    r.error());
        }
    }

    /**
     * The highest version any reachable replica serves (a new run must publish above it: versions only go up), read
     * from every available replica in parallel; one that does not answer in time opens its circuit.
     */
    @Override
    public long highestReplicaVersion() {
        List<URI> replicas = endpoints.current();
        List<URI> asked = health == null ? replicas : health.available(replicas);
        try (ExecutorService reads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<OptionalLong>> versions = asked.stream()
                    .map(r -> CompletableFuture.supplyAsync(() -> version(r), reads))
                    .toList();
            return versions.stream()
                    .map(CompletableFuture::join)
                    .filter(OptionalLong::isPresent)
                    .mapToLong(OptionalLong::getAsLong)
                    .max()
                    .orElse(0);
        }
    }

    /** A replica's version ({@code GET /v1/policy}); recorded, and a replica that does not answer opens its circuit. */
    public OptionalLong version(URI replica) {
        long start = System.nanoTime();
        OptionalLong v = ReplicaVersion.of(http, replica, timeout);
        if (health != null) {
            if (v.isPresent()) {
                health.serves(replica, v.getAsLong());
            } else {
                health.failed(replica, System.nanoTime() - start, new FleetException("no version from " + replica));
            }
        }
        return v;
    }

    @Override
    public List<URI> replicas() {
        return endpoints.current();
    }

    public Publication latest() {
        return latest;
    }
}
