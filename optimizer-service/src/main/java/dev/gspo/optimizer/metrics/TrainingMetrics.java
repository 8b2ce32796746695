package dev.gspo.optimizer.metrics;

import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.loop.RunListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The optimizer's meters (names in docs/ARCHITECTURE.md §9 and deploy/metrics-contract.txt), every one with a
 * description. A {@link MeterBinder}: Spring Boot binds it to the registry at start-up, and the training loop, which
 * only calls the {@link RunListener} methods, stays free of Micrometer.
 *
 * <p>Two kinds of meters:
 *
 * <ul>
 *   <li><b>per run</b> ({@code gspo.train.*}, {@code gspo.run.file.write.failures}): each run gets its own
 *       {@link RunMeters} from {@link #forRun}, every series tagged {@code run=<run id>}. They are registered when the
 *       run starts and removed {@code linger} after it ends (completed, failed or stopped), so that Prometheus scrapes
 *       the final values at least once; the live series are those of the run in progress and of runs that ended less
 *       than {@code linger} ago. A resumed run keeps its id, so its series continue under the same {@code run} label;
 *       its counters start again at 0 with the new attempt, which {@code increase()}/{@code rate()} read as a counter
 *       reset (the run's total over a range covering both attempts is still right).
 *   <li><b>per process</b> ({@code gspo.policy.version}, {@code gspo.weights.publish.*}, {@code gspo.fleet.requests}):
 *       the optimizer's link to its fleet, which outlives each run: versions keep rising across runs, a replica that
 *       answers again is caught up between runs, and a failed push must stay visible to alerts after the run it broke
 *       has failed. No {@code run} tag; they live as long as the process.
 * </ul>
 */
public final class TrainingMetrics implements MeterBinder, AutoCloseable {
    private final Duration linger;
    private final AtomicLong policyVersion = new AtomicLong();
    private final Map<String, RunMeters> lingering = new HashMap<>();
    private volatile MeterRegistry registry;
    private ScheduledExecutorService remover;
    private Timer publishDuration;
    private Counter publishBytes;
    private Counter publishFailures;
    private Counter publishRetries;

    /** Per-run meters removed as soon as their run ends. */
    public TrainingMetrics() {
        this(Duration.ZERO);
    }

    /** @param linger how long an ended run's series stay (at least one scrape interval: the final values are seen) */
    public TrainingMetrics(Duration linger) {
        if (linger.isNegative()) {
            throw new IllegalArgumentException("linger must not be negative, got " + linger);
        }
        this.linger = linger;
    }

    @Override
    public void bindTo(MeterRegistry r) {
        Gauge.builder("gspo.policy.version", policyVersion, AtomicLong::get)
                .description("the policy version the optimizer last published")
                .register(r);
        publishDuration = Timer.builder("gspo.weights.publish.duration")
                .description("wall time to publish a policy version to every replica")
                .register(r);
        publishBytes = Counter.builder("gspo.weights.publish.bytes")
                .description("bytes of weights published (one version counted once, whatever the replicas)")
                .baseUnit("bytes")
                .register(r);
        publishFailures = Counter.builder("gspo.weights.publish.failures")
                .description("replicas that did not take a published version")
                .register(r);
        publishRetries = Counter.builder("gspo.weights.publish.retries")
                .description("weight pushes repeated after a failed attempt")
                .register(r);
        registry = r;
    }

    /**
     * The meters of one run, registered now with the tag {@code run=runId}. A run of the same id whose series still
     * linger (the attempt a resume continues) loses them at once: the new attempt's meters replace them.
     */
    public RunMeters forRun(String runId) {
        MeterRegistry r = registry;
        if (r == null) {
            throw new IllegalStateException("run " + runId + " started before the metrics were bound to a registry");
        }
        RunMeters earlier;
        synchronized (this) {
            earlier = lingering.remove(runId);
        }
        if (earlier != null) {
            earlier.remove();
        }
        return new RunMeters(r, runId, this::ended);
    }

    /** A run ended: its meters go now, or after {@code linger}. */
    private void ended(RunMeters meters) {
        if (linger.isZero()) {
            meters.remove();
            return;
        }
        synchronized (this) {
            lingering.put(meters.runId(), meters);
            if (remover == null) {
                remover = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "run-metrics-remover");
                    t.setDaemon(true);
                    return t;
                });
            }
            remover.schedule(
                    () -> {
                        synchronized (this) {
                            if (!lingering.remove(meters.runId(), meters)) {
                                return; // a resume already replaced them
                            }
                        }
                        meters.remove();
                    },
                    linger.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    public void onPublish(PublishResult r) {
        policyVersion.accumulateAndGet(r.version(), Math::max);
        if (registry == null) {
            return;
        }
        if (!r.duration().isZero()) {
            publishDuration.record(r.duration().toNanos(), TimeUnit.NANOSECONDS);
        }
        publishBytes.increment(r.bytes());
        publishFailures.increment(r.failures());
        publishRetries.increment(r.retries());
    }

    /**
     * A named adapter's publish ({@code PUT /v1/adapters/{name}}): counted as every publish is, and its bytes also in
     * {@code gspo.weights.publish.adapter.bytes{adapter}}, so that runs sharing a fleet can be told apart.
     */
    public void onAdapterPublish(String adapter, PublishResult r) {
        onPublish(r);
        MeterRegistry reg = registry;
        if (reg != null) {
            Counter.builder("gspo.weights.publish.adapter.bytes")
                    .description("bytes sent to the replicas for a named LoRA adapter (and its base when a replica "
                            + "needed it), by adapter")
                    .baseUnit("bytes")
                    .tag("adapter", adapter)
                    .register(reg)
                    .increment(r.bytes());
        }
    }

    /** Rollout requests by replica and outcome ({@code ok}, {@code error}, {@code behind}, {@code rejected}). */
    public void onFleetRequest(URI replica, String outcome, double seconds) {
        MeterRegistry r = registry;
        if (r != null) {
            Counter.builder("gspo.fleet.requests")
                    .description("rollout requests to the replicas, by replica and outcome")
                    .tag("replica", replica.toString())
                    .tag("outcome", outcome)
                    .register(r) // returns the registered counter when it exists
                    .increment();
        }
    }

    @Override
    public synchronized void close() {
        if (remover != null) {
            remover.shutdownNow();
        }
    }
}
