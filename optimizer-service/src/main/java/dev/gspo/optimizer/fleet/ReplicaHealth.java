package dev.gspo.optimizer.fleet;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the optimizer knows about each rollout replica: a circuit breaker (Resilience4j) and the policy version it
 * last served.
 *
 * <p>A rollout request or a weight push that fails or times out opens the replica's circuit: from then on no share of
 * a step and no push goes to it, so one hung replica costs one timeout, not one per step. Every {@code probeInterval}
 * each open replica is probed with {@code GET /v1/policy} (bounded by its own short timeout) as the half-open trial
 * call; when it answers, the latest published version is pushed to it if it is behind (it catches up), and only then
 * does its circuit close. The breaker opens on one failure (a window of one call, threshold 100%): a replica that
 * just failed a request is not worth a second full timeout in the same step. Slow but successful calls do not count.
 */
public final class ReplicaHealth implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaHealth.class);

    /** Reads a replica's serving version ({@code GET /v1/policy}); empty when it does not answer in time. */
    @FunctionalInterface
    public interface VersionProbe {
        OptionalLong version(URI replica);
    }

    private final CircuitBreakerRegistry breakers;
    private final Map<URI, CircuitBreaker> byReplica = new ConcurrentHashMap<>();
    private final VersionProbe probe;
    private final Map<URI, Long> served = new ConcurrentHashMap<>();
    private final Map<URI, AtomicLong> openedBy = new ConcurrentHashMap<>();
    private volatile Consumer<URI> onTracked = replica -> {};
    private final ScheduledExecutorService prober;
    private volatile LongSupplier latestVersion = () -> 0;
    private volatile Function<URI, Boolean> catchUp = replica -> true;

    /** @param probeInterval how long a circuit stays open before the next probe; also the prober's period */
    public ReplicaHealth(VersionProbe probe, Duration probeInterval) {
        this.probe = probe;
        this.breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindow(1, 1, CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .failureRateThreshold(100)
                .slowCallDurationThreshold(Duration.ofDays(1))
                .waitDurationInOpenState(probeInterval)
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .permittedNumberOfCallsInHalfOpenState(1)
                .recordExceptions(Throwable.class)
                .build());
        this.prober = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "replica-prober");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1, probeInterval.toMillis());
        prober.scheduleWithFixedDelay(this::probeOpenReplicas, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * @param latestVersion the version the trainer published last (a replica below it is behind)
     * @param catchUp       pushes the latest version to a replica; true when it took it
     */
    public void catchUpWith(LongSupplier latestVersion, Function<URI, Boolean> catchUp) {
        this.latestVersion = latestVersion;
        this.catchUp = catchUp;
    }

    /** The replicas whose circuit is closed, in the order given. */
    public List<URI> available(List<URI> replicas) {
        return replicas.stream().filter(this::available).toList();
    }

    public boolean available(URI replica) {
        return breaker(replica).getState() == CircuitBreaker.State.CLOSED;
    }

    public void succeeded(URI replica, long nanos) {
        breaker(replica).onSuccess(nanos, TimeUnit.NANOSECONDS);
    }

    /** A request to the replica failed or timed out: its circuit opens. */
    public void failed(URI replica, long nanos, Throwable cause) {
        breaker(replica).onError(nanos, TimeUnit.NANOSECONDS, cause);
    }

    /** The replica serves {@code version} (it answered a rollout with it, took a push, or said so when probed). */
    public void serves(URI replica, long version) {
        served.merge(replica, version, Math::max);
    }

    /** Of these replicas, how many have an open (or half-open: being probed) circuit. */
    public long open(List<URI> replicas) {
        return replicas.stream().filter(Predicate.not(this::available)).count();
    }

    /** Of these replicas, how many are known to serve a version older than the latest published one. */
    public long behind(List<URI> replicas) {
        long latest = latestVersion.getAsLong();
        return replicas.stream()
                .filter(r -> served.getOrDefault(r, 0L) < latest)
                .count();
    }

    /** How many times a circuit has opened, over all replicas. */
    public long opened() {
        return openedBy.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** How many times this replica's circuit has opened. */
    public long opened(URI replica) {
        AtomicLong n = openedBy.get(replica);
        return n == null ? 0 : n.get();
    }

    /**
     * Calls {@code listener} for each replica tracked now and for each one tracked later (its first request, push or
     * probe), e.g. to register per-replica meters before anything has happened to it.
     */
    public synchronized void onTracked(Consumer<URI> listener) {
        this.onTracked = listener;
        openedBy.keySet().forEach(listener);
    }

    /** One round of the prober: each open replica whose wait is over gets one probe (and a catch-up push). */
    void probeOpenReplicas() {
        for (Map.Entry<URI, CircuitBreaker> e : byReplica.entrySet()) {
            CircuitBreaker b = e.getValue();
            if (b.getState() != CircuitBreaker.State.OPEN || !b.tryAcquirePermission()) {
                continue; // closed, or its wait is not over (tryAcquirePermission moves it to half-open when it is)
            }
            URI replica = e.getKey();
            long start = System.nanoTime();
            try {
                OptionalLong version = probe.version(replica);
                if (version.isEmpty()) {
                    b.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, new FleetException("no answer"));
                    continue;
                }
                serves(replica, version.getAsLong());
                boolean upToDate = version.getAsLong() >= latestVersion.getAsLong() || catchUp.apply(replica);
                if (upToDate) {
                    b.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                    log.info("replica {} answers again (version {}): back in the fleet", replica, served.get(replica));
                } else {
                    b.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, new FleetException("catch-up failed"));
                }
            } catch (RuntimeException failure) {
                b.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, failure);
            }
        }
    }

    private CircuitBreaker breaker(URI replica) {
        CircuitBreaker known = byReplica.get(replica);
        return known != null ? known : track(replica);
    }

    private synchronized CircuitBreaker track(URI replica) {
        CircuitBreaker known = byReplica.get(replica);
        if (known != null) {
            return known;
        }
        AtomicLong opened = new AtomicLong();
        CircuitBreaker b = breakers.circuitBreaker(replica.toString());
        b.getEventPublisher().onStateTransition(e -> {
            if (e.getStateTransition().getFromState() == CircuitBreaker.State.CLOSED
                    && e.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
                opened.incrementAndGet();
                log.warn("replica {} failed or timed out: skipped until it answers a probe", replica);
            }
        });
        openedBy.put(replica, opened);
        byReplica.put(replica, b);
        onTracked.accept(replica);
        return b;
    }

    @Override
    public void close() {
        prober.shutdownNow();
    }
}
