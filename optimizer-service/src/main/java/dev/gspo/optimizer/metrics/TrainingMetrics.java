package dev.gspo.optimizer.metrics;

import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.publish.PublishResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The optimizer's meters (docs/ARCHITECTURE.md §9). Gauges read the latest {@link StepMetrics} held here (a strong reference:
 * Micrometer holds gauge targets weakly), so the training loop stays free of Micrometer. Before the first step every
 * gauge reads NaN, which Prometheus shows as "no value yet".
 */
public final class TrainingMetrics implements RunListener {
    private volatile StepMetrics latest;
    private volatile double heldOut = Double.NaN;
    private final AtomicLong policyVersion = new AtomicLong();
    private final Counter steps;
    private final Counter tokens;
    private final Counter skipped;
    private final Timer stepDuration;
    private final Timer publishDuration;
    private final Counter publishBytes;
    private final Counter publishFailures;
    private final Counter publishRetries;
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Counter> fleetRequests = new ConcurrentHashMap<>();

    public TrainingMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (String level : new String[] {"sequence", "token"}) {
            for (String side : new String[] {"low", "high", "total"}) {
                gauge("gspo.train.clip.fraction", clip(level, side), "level", level, "side", side);
            }
        }
        gauge("gspo.train.reward.mean", StepMetrics::rewardMean);
        gauge("gspo.train.reward.std", StepMetrics::rewardStd);
        gauge("gspo.train.accuracy", StepMetrics::accuracy);
        gauge("gspo.train.importance.ratio", StepMetrics::ratioMean, "stat", "mean");
        gauge("gspo.train.importance.ratio", StepMetrics::ratioMin, "stat", "min");
        gauge("gspo.train.importance.ratio", StepMetrics::ratioMax, "stat", "max");
        gauge("gspo.train.kl", StepMetrics::kl);
        gauge("gspo.train.entropy", StepMetrics::entropy);
        gauge("gspo.train.grad.norm", StepMetrics::gradNorm);
        gauge("gspo.train.loss", StepMetrics::loss);
        gauge("gspo.train.logprob.mismatch", StepMetrics::mismatchMean, "stat", "mean");
        gauge("gspo.train.logprob.mismatch", StepMetrics::mismatchMax, "stat", "max");
        gauge("gspo.train.zero.variance.share", StepMetrics::zeroVarianceShare);
        // MoE only (NaN for a dense policy): routed expert sets that moved between π_old and π_θ within a step
        gauge("gspo.train.expert.change.share", StepMetrics::expertChangeShare);
        gauge("gspo.train.response.length", StepMetrics::responseLengthMean);
        gauge("gspo.train.staleness", m -> m.stale());
        seconds("gspo.train.phase.duration", StepMetrics::rolloutSeconds, "phase", "rollout");
        seconds("gspo.train.phase.duration", StepMetrics::trainSeconds, "phase", "train");
        seconds("gspo.train.phase.duration", StepMetrics::publishSeconds, "phase", "publish");
        seconds(
                "gspo.train.phase.duration",
                m -> Math.max(0, m.stepSeconds() - m.rolloutSeconds() - m.trainSeconds() - m.publishSeconds()),
                "phase",
                "other");
        gauge("gspo.train.tokens.per.second", StepMetrics::rolloutTokensPerSecond, "kind", "rollout");
        gauge("gspo.train.tokens.per.second", StepMetrics::trainTokensPerSecond, "kind", "train");
        Gauge.builder("gspo.train.heldout.accuracy", this, t -> t.heldOut).register(registry);
        Gauge.builder("gspo.policy.version", policyVersion, AtomicLong::get)
                .description("the policy version the optimizer last published")
                .register(registry);
        steps = Counter.builder("gspo.train.steps").register(registry);
        tokens = Counter.builder("gspo.train.tokens").baseUnit("tokens").register(registry);
        skipped = Counter.builder("gspo.train.updates.skipped")
                .description("updates not applied because the loss or the gradient was not finite")
                .register(registry);
        stepDuration = Timer.builder("gspo.train.step.duration").register(registry);
        publishDuration = Timer.builder("gspo.weights.publish.duration").register(registry);
        publishBytes =
                Counter.builder("gspo.weights.publish.bytes").baseUnit("bytes").register(registry);
        publishFailures = Counter.builder("gspo.weights.publish.failures").register(registry);
        publishRetries = Counter.builder("gspo.weights.publish.retries").register(registry);
    }

    @Override
    public void onStep(StepMetrics m) {
        latest = m;
        steps.increment();
        tokens.increment(m.trainTokens());
        skipped.increment(m.skippedUpdates());
        stepDuration.record(Duration.ofNanos((long) (m.stepSeconds() * 1e9)));
    }

    @Override
    public void onHeldOutAccuracy(long step, double accuracy) {
        heldOut = accuracy;
    }

    public void onPublish(PublishResult r) {
        policyVersion.accumulateAndGet(r.version(), Math::max);
        if (!r.duration().isZero()) {
            publishDuration.record(r.duration().toNanos(), TimeUnit.NANOSECONDS);
        }
        publishBytes.increment(r.bytes());
        publishFailures.increment(r.failures());
        publishRetries.increment(r.retries());
    }

    /** Rollout requests by outcome ({@code ok}, {@code error}, {@code behind}, {@code rejected}). */
    public void onFleetRequest(URI replica, String outcome, double seconds) {
        fleetRequests
                .computeIfAbsent(outcome, o -> Counter.builder("gspo.fleet.requests")
                        .tag("outcome", o)
                        .register(registry))
                .increment();
    }

    private void gauge(String name, ToDoubleFunction<StepMetrics> f, String... tags) {
        Gauge.builder(name, this, t -> t.latest == null ? Double.NaN : f.applyAsDouble(t.latest))
                .tags(tags)
                .register(registry);
    }

    /** A gauge in seconds of the last step (Prometheus: {@code <name>_seconds}). */
    private void seconds(String name, ToDoubleFunction<StepMetrics> f, String... tags) {
        Gauge.builder(name, this, t -> t.latest == null ? Double.NaN : f.applyAsDouble(t.latest))
                .tags(tags)
                .baseUnit("seconds")
                .register(registry);
    }

    private static ToDoubleFunction<StepMetrics> clip(String level, String side) {
        boolean seq = level.equals("sequence");
        return switch (side) {
            case "low" -> seq ? StepMetrics::clipSeqLow : StepMetrics::clipTokLow;
            case "high" -> seq ? StepMetrics::clipSeqHigh : StepMetrics::clipTokHigh;
            default -> seq ? StepMetrics::clipSeqTotal : StepMetrics::clipTokTotal;
        };
    }
}
