package dev.gspo.rollout.metrics;

import dev.gspo.rollout.batching.BatchListener;
import dev.gspo.rollout.batching.DecoderStoppedException;
import dev.gspo.rollout.batching.QueueFullException;
import dev.gspo.rollout.batching.RolloutExecutor;
import dev.gspo.rollout.batching.RolloutTimeoutException;
import dev.gspo.rollout.validation.InvalidRequestException;
import dev.gspo.rollout.weights.PolicyBehindException;
import dev.gspo.rollout.weights.PolicyRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * The rollout meters (docs/ARCHITECTURE.md §9): {@code gspo.rollout.tokens.generated}, {@code gspo.rollout.samples},
 * {@code gspo.rollout.request.duration} (tag {@code outcome}), {@code gspo.rollout.batch.sequences} (sequences per
 * decode batch), {@code gspo.rollout.queue.sequences} and {@code gspo.policy.version}. Gauges read objects this bean
 * holds, never a boxed number Micrometer would hold weakly.
 */
@Component
public class RolloutMetrics implements BatchListener {
    private final MeterRegistry registry;
    private final Counter tokens;
    private final Counter samples;
    private final DistributionSummary batchSequences;

    public RolloutMetrics(MeterRegistry registry, PolicyRegistry policies, RolloutExecutor executor) {
        this.registry = registry;
        this.tokens = Counter.builder("gspo.rollout.tokens.generated")
                .description("completion tokens generated")
                .register(registry);
        this.samples = Counter.builder("gspo.rollout.samples")
                .description("completions generated")
                .register(registry);
        this.batchSequences = DistributionSummary.builder("gspo.rollout.batch.sequences")
                .description("sequences decoded together in one batch")
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
        tokens.increment(generatedTokens);
        samples.increment(sequences);
        batchSequences.record(sequences);
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
