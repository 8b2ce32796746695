package dev.gspo.rollout.metrics;

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

    public RolloutMetrics(
            MeterRegistry registry, PolicyRegistry policies, RolloutExecutor executor, RolloutProperties properties) {
        this.registry = registry;
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
        } finally {
            sample.stop(Timer.builder("gspo.rollout.request.duration")
                    .description("rollout request latency")
                    .tag("outcome", outcome)
                    .register(registry));
        }
    }
}
