package dev.gspo.rollout.metrics;

import dev.gspo.common.wire.AdapterInfo;
import dev.gspo.rollout.adapters.AdapterProblem;
import dev.gspo.rollout.adapters.AdapterRegistry;
import dev.gspo.rollout.batching.BatchListener;
import dev.gspo.rollout.batching.DecoderStoppedException;
import dev.gspo.rollout.batching.QueueFullException;
import dev.gspo.rollout.batching.RolloutExecutor;
import dev.gspo.rollout.batching.RolloutTimeoutException;
import dev.gspo.rollout.config.RolloutProperties;
import dev.gspo.rollout.validation.InvalidRequestException;
import dev.gspo.rollout.weights.PolicyBehindException;
import dev.gspo.rollout.weights.PolicyRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * The rollout meters (docs/ARCHITECTURE.md §9): {@code gspo.rollout.tokens.generated}, {@code gspo.rollout.samples},
 * {@code gspo.rollout.request.duration} (tag {@code outcome}), {@code gspo.rollout.batch.sequences} (rows decoded
 * together, per decode step), {@code gspo.rollout.decode.steps}, {@code gspo.rollout.running.sequences} and
 * {@code gspo.rollout.free.slots} (the running batch now), {@code gspo.rollout.queue.sequences} and
 * {@code gspo.policy.version}. Gauges read objects this bean holds, never a boxed number Micrometer would hold weakly.
 *
 * <p>Named adapters: {@code gspo.rollout.adapters.loaded}, and per adapter ({@code adapter} tag)
 * {@code gspo.rollout.adapter.version}, {@code gspo.rollout.adapter.bytes} (native memory it holds),
 * {@code gspo.rollout.adapter.tokens.generated} and {@code gspo.rollout.adapter.samples}; an adapter's gauges go
 * when it is deleted. The unlabelled totals above count every request, base and adapters alike.
 */
@Component
public class RolloutMetrics implements BatchListener {
    private final MeterRegistry registry;
    private final Counter tokens;
    private final Counter samples;
    private final DistributionSummary batchSequences;
    private final Counter steps;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger freeSlots;
    private final MultiGauge adapterVersions;
    private final MultiGauge adapterBytes;
    private final AdapterRegistry adapters;

    public RolloutMetrics(
            MeterRegistry registry,
            PolicyRegistry policies,
            RolloutExecutor executor,
            RolloutProperties properties,
            AdapterRegistry adapters) {
        this.registry = registry;
        this.adapters = adapters;
        Gauge.builder("gspo.rollout.adapters.loaded", adapters, AdapterRegistry::size)
                .description("named LoRA adapters loaded")
                .register(registry);
        this.adapterVersions = MultiGauge.builder("gspo.rollout.adapter.version")
                .description("the served version of each named adapter")
                .register(registry);
        this.adapterBytes = MultiGauge.builder("gspo.rollout.adapter.bytes")
                .description("native memory held by each named adapter's served version (float32 A and B)")
                .baseUnit("bytes")
                .register(registry);
        adapters.onChange(this::refreshAdapters);
        refreshAdapters();
        this.tokens = Counter.builder("gspo.rollout.tokens.generated")
                .description("completion tokens generated")
                .register(registry);
        this.samples = Counter.builder("gspo.rollout.samples")
                .description("completions generated")
                .register(registry);
        this.batchSequences = DistributionSummary.builder("gspo.rollout.batch.sequences")
                .description("sequences decoded together, per decode step")
                .register(registry);
        this.steps = Counter.builder("gspo.rollout.decode.steps")
                .description("decode steps of the running batch (one token for every running sequence)")
                .register(registry);
        this.freeSlots = new AtomicInteger(properties.maxBatchSequences());
        Gauge.builder("gspo.rollout.running.sequences", running, AtomicInteger::get)
                .description("sequences decoding in the running batch")
                .register(registry);
        Gauge.builder("gspo.rollout.free.slots", freeSlots, AtomicInteger::get)
                .description("slots of the running batch free for waiting sequences")
                .register(registry);
        Gauge.builder("gspo.policy.version", policies, p -> p.current().version())
                .description("the policy version being served")
                .register(registry);
        Gauge.builder("gspo.rollout.queue.sequences", executor, RolloutExecutor::queuedSequences)
                .description("sequences waiting for the decoder")
                .register(registry);
    }

    @Override
    public void batchDecoded(int sequences, int requests, long generatedTokens, long policyVersion) {
        // counted per request, as each completes (a running batch may live as long as requests keep coming)
    }

    @Override
    public void requestDecoded(int sequences, long generatedTokens, long policyVersion) {
        tokens.increment(generatedTokens);
        samples.increment(sequences);
    }

    @Override
    public void requestDecoded(int sequences, long generatedTokens, long policyVersion, String adapter) {
        requestDecoded(sequences, generatedTokens, policyVersion);
        if (adapter != null) {
            Counter.builder("gspo.rollout.adapter.tokens.generated")
                    .description("completion tokens generated with a named adapter")
                    .tag("adapter", adapter)
                    .register(registry)
                    .increment(generatedTokens);
            Counter.builder("gspo.rollout.adapter.samples")
                    .description("completions generated with a named adapter")
                    .tag("adapter", adapter)
                    .register(registry)
                    .increment(sequences);
        }
    }

    /** The per-adapter gauges, rewritten after every adapter push or delete (a deleted adapter's rows go). */
    private synchronized void refreshAdapters() {
        java.util.List<AdapterInfo> loaded = adapters.list();
        adapterVersions.register(
                loaded.stream()
                        .map(a -> MultiGauge.Row.of(Tags.of("adapter", a.name()), a.version()))
                        .toList(),
                true);
        adapterBytes.register(
                loaded.stream()
                        .map(a -> MultiGauge.Row.of(Tags.of("adapter", a.name()), a.memoryBytes()))
                        .toList(),
                true);
    }

    @Override
    public void stepDecoded(long step, int decoded, int runningSequences, int free) {
        running.set(runningSequences);
        freeSlots.set(free);
        if (decoded > 0) {
            steps.increment();
            batchSequences.record(decoded);
        }
    }

    /** Times one rollout request, tagged with how it ended. */
    public <T> T timeRequest(Supplier<T> request) {
        Timer.Sample sample = Timer.start(registry);
        String outcome = "error";
        try {
            T result = request.get();
            outcome = "success";
            return result;
        } catch (InvalidRequestException e) {
            outcome = "invalid";
            throw e;
        } catch (QueueFullException | RolloutTimeoutException | DecoderStoppedException e) {
            outcome = "unavailable";
            throw e;
        } catch (PolicyBehindException e) {
            outcome = "conflict";
            throw e;
        } catch (AdapterProblem e) {
            outcome = e.status().value() == 409 ? "conflict" : "invalid";
            throw e;
        } finally {
            sample.stop(Timer.builder("gspo.rollout.request.duration")
                    .description("rollout request latency")
                    .tag("outcome", outcome)
                    .register(registry));
        }
    }
}
