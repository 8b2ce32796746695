package dev.gspo.optimizer.metrics;

import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.StepMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The optimizer's meters (names in docs/ARCHITECTURE.md §9), every one with a description. Base units are set where the
 * Prometheus name has always carried them ({@code _seconds}, {@code _bytes}, {@code _tokens}): Micrometer appends a
 * gauge's base unit to its exported name, and dashboards and alerts depend on the names. A {@link MeterBinder}: Spring Boot binds it to the registry at start-up, and the training loop, which only
 * calls the {@link RunListener} methods, stays free of Micrometer. Gauges read the latest {@link StepMetrics} held
 * here (a strong reference: Micrometer holds gauge targets weakly); before the first step every gauge reads NaN,
 * which Prometheus shows as "no value yet". Events before {@link #bindTo} update the gauges' state and are otherwise
 * not counted. {@code gspo.train.reward{fn=…}} has one gauge per reward function of the latest step (and per component
 * a reward server reported): registered when a step first reports the name, removed when a step no longer does, so
 * the live series are those of the run in progress.
 */
public final class TrainingMetrics implements RunListener, MeterBinder {
    private volatile StepMetrics latest;
    private volatile double heldOut = Double.NaN;
    private final AtomicLong policyVersion = new AtomicLong();
    private volatile MeterRegistry registry;
    private final Map<String, Gauge> rewardGauges = new HashMap<>();
    private Counter steps;
    private Counter tokens;
    private Counter skipped;
    private Timer stepDuration;
    private Timer publishDuration;
    private Counter publishBytes;
    private Counter publishFailures;
    private Counter publishRetries;

    @Override
    public void bindTo(MeterRegistry r) {
        for (String level : new String[] {"sequence", "token"}) {
            for (String side : new String[] {"low", "high", "total"}) {
                gauge(
                        r,
                        "gspo.train.clip.fraction",
                        clip(level, side),
                        "share of the last step's samples (level=sequence) or tokens (level=token) whose clipped branch "
                                + "was active, below 1-eps_low (side=low), above 1+eps_high (side=high) or either",
                        null,
                        "level",
                        level,
                        "side",
                        side);
            }
        }
        gauge(r, "gspo.train.reward.mean", StepMetrics::rewardMean, "mean reward of the last step's samples", null);
        gauge(r, "gspo.train.reward.std", StepMetrics::rewardStd, "std of the last step's rewards", null);
        gauge(
                r,
                "gspo.train.accuracy",
                StepMetrics::accuracy,
                "share of the last step's samples that the run's first reward function scores 1 or more",
                null);
        String ratio = "importance ratio of the last step (GSPO: sequence-level s_i; GRPO: per token) by stat";
        gauge(r, "gspo.train.importance.ratio", StepMetrics::ratioMean, ratio, null, "stat", "mean");
        gauge(r, "gspo.train.importance.ratio", StepMetrics::ratioMin, ratio, null, "stat", "min");
        gauge(r, "gspo.train.importance.ratio", StepMetrics::ratioMax, ratio, null, "stat", "max");
        gauge(r, "gspo.train.kl", StepMetrics::kl, "approximate KL(pi_old || pi_theta) of the last step", null);
        gauge(
                r,
                "gspo.train.entropy",
                StepMetrics::entropy,
                "mean token entropy of the policy in nats, last step",
                null);
        gauge(
                r,
                "gspo.train.grad.norm",
                StepMetrics::gradNorm,
                "global gradient norm before clipping, last step",
                null);
        gauge(r, "gspo.train.loss", StepMetrics::loss, "policy loss of the last step", null);
        String mismatch =
                "|log-prob of the rollout - log-prob recomputed by the trainer| per token, last step, by stat";
        gauge(r, "gspo.train.logprob.mismatch", StepMetrics::mismatchMean, mismatch, null, "stat", "mean");
        gauge(r, "gspo.train.logprob.mismatch", StepMetrics::mismatchMax, mismatch, null, "stat", "max");
        gauge(
                r,
                "gspo.train.zero.variance.share",
                StepMetrics::zeroVarianceShare,
                "share of the last step's groups whose rewards were all equal (no gradient)",
                null);
        gauge(
                r,
                "gspo.train.expert.change.share",
                StepMetrics::expertChangeShare,
                "MoE only (NaN for a dense policy): share of (token, layer) expert sets that moved between pi_old and "
                        + "pi_theta within the last step",
                null);
        gauge(
                r,
                "gspo.train.response.length",
                StepMetrics::responseLengthMean,
                "mean response length in tokens of the last step",
                null);
        gauge(
                r,
                "gspo.train.truncated.fraction",
                StepMetrics::truncatedFraction,
                "share of the last step's responses cut at maxNewTokens (finishReason length); left out of the loss "
                        + "with objective.maskTruncated",
                null);
        gauge(
                r,
                "gspo.train.staleness",
                m -> m.stale(),
                "policy versions between the trainer and the samples of the last step",
                null);
        String phase = "seconds the last step spent in each phase";
        gauge(r, "gspo.train.phase.duration", StepMetrics::rolloutSeconds, phase, "seconds", "phase", "rollout");
        gauge(r, "gspo.train.phase.duration", StepMetrics::trainSeconds, phase, "seconds", "phase", "train");
        gauge(r, "gspo.train.phase.duration", StepMetrics::publishSeconds, phase, "seconds", "phase", "publish");
        gauge(
                r,
                "gspo.train.phase.duration",
                m -> Math.max(0, m.stepSeconds() - m.rolloutSeconds() - m.trainSeconds() - m.publishSeconds()),
                phase,
                "seconds",
                "phase",
                "other");
        String throughput = "tokens per second of the last step's rollout (kind=rollout) and training (kind=train)";
        gauge(
                r,
                "gspo.train.tokens.per.second",
                StepMetrics::rolloutTokensPerSecond,
                throughput,
                null,
                "kind",
                "rollout");
        gauge(r, "gspo.train.tokens.per.second", StepMetrics::trainTokensPerSecond, throughput, null, "kind", "train");
        Gauge.builder("gspo.train.heldout.accuracy", this, t -> t.heldOut)
                .description("greedy accuracy on the task's held-out set at the last evaluation")
                .register(r);
        Gauge.builder("gspo.policy.version", policyVersion, AtomicLong::get)
                .description("the policy version the optimizer last published")
                .register(r);
        steps = Counter.builder("gspo.train.steps")
                .description("GSPO steps completed")
                .register(r);
        tokens = Counter.builder("gspo.train.tokens")
                .description("response tokens trained on")
                .baseUnit("tokens")
                .register(r);
        skipped = Counter.builder("gspo.train.updates.skipped")
                .description("updates not applied because the loss or the gradient was not finite")
                .register(r);
        stepDuration = Timer.builder("gspo.train.step.duration")
                .description("wall time of a GSPO step (rollout, train, publish)")
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

    @Override
    public void onStep(StepMetrics m) {
        latest = m;
        if (registry != null) {
            rewardGauges(registry, m.rewards().keySet());
            steps.increment();
            tokens.increment(m.trainTokens());
            skipped.increment(m.skippedUpdates());
            stepDuration.record(Duration.ofNanos((long) (m.stepSeconds() * 1e9)));
        }
    }

    private synchronized void rewardGauges(MeterRegistry r, Set<String> names) {
        rewardGauges.entrySet().removeIf(e -> {
            boolean gone = !names.contains(e.getKey());
            if (gone) {
                r.remove(e.getValue());
            }
            return gone;
        });
        for (String fn : names) {
            rewardGauges.computeIfAbsent(fn, k -> Gauge.builder("gspo.train.reward", this, t -> t.reward(k))
                    .description("mean score of the last step's samples under one reward function of the run, "
                            + "unweighted (fn = its name; fn=name.component: a component its reward server reported)")
                    .tag("fn", k)
                    .register(r));
        }
    }

    private double reward(String fn) {
        StepMetrics m = latest;
        Double v = m == null ? null : m.rewards().get(fn);
        return v == null ? Double.NaN : v;
    }

    @Override
    public void onHeldOutAccuracy(long step, double accuracy) {
        heldOut = accuracy;
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

    /** Rollout requests by outcome ({@code ok}, {@code error}, {@code behind}, {@code rejected}). */
    public void onFleetRequest(URI replica, String outcome, double seconds) {
        MeterRegistry r = registry;
        if (r != null) {
            Counter.builder("gspo.fleet.requests")
                    .description("rollout requests to the replicas, by outcome")
                    .tag("outcome", outcome)
                    .register(r) // returns the registered counter when it exists
                    .increment();
        }
    }

    private void gauge(
            MeterRegistry r,
            String name,
            ToDoubleFunction<StepMetrics> f,
            String description,
            String baseUnit,
            String... tags) {
        Gauge.builder(name, this, t -> t.latest == null ? Double.NaN : f.applyAsDouble(t.latest))
                .description(description)
                .baseUnit(baseUnit)
                .tags(tags)
                .register(r);
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
