package dev.gspo.optimizer.metrics;

import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.StepMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * The meters of one run, every series tagged {@code run=<run id>} ({@link TrainingMetrics#forRun}); all of them are
 * removed from the registry by {@link #remove()}.
 *
 * <p><b>Counters</b> ({@code gspo.train.steps}, {@code .tokens}, {@code .updates.skipped}, the step timer,
 * {@code gspo.run.file.write.failures{file}}) are registered at once, at 0, so that Prometheus sees each one start.
 *
 * <p><b>Last-step gauges</b> ({@code gspo.train.reward.mean}, {@code .clip.fraction}, …) are registered with the run's
 * first step, and {@code gspo.train.heldout.accuracy} with its first evaluation: before that there is no value, so
 * there is no series (never a NaN). {@code gspo.train.expert.change.share} appears only for a MoE policy (the first
 * step with a finite share). {@code gspo.train.reward{fn=…}} has one gauge per reward function of the latest step (and
 * per component a reward server reported): registered when a step first reports the name, removed when a step no
 * longer does. A gauge shows the last step at the moment of the scrape (every 15 s by default): steps in between are
 * not seen.
 *
 * <p><b>Per-step summaries</b> ({@code gspo.train.step.<measure>}, exported as {@code _count}, {@code _sum} and
 * {@code _max}) see every step: each step's value is recorded once, so over any range
 * {@code increase(x_sum[r]) / increase(x_count[r])} is the mean per step of the steps in that range, and {@code _max}
 * the largest step value of the last ~2 minutes. Micrometer drops negative values from a summary (and Prometheus'
 * {@code rate()} needs a {@code _sum} that never decreases), so a signed measure (the reward, the approximate KL) is
 * split by a {@code sign} tag: a step's value goes to {@code sign="positive"} when ≥ 0, its absolute value to
 * {@code sign="negative"} otherwise, and the mean per step is {@code (Σ positive − Σ negative) / Σ count}.
 */
public final class RunMeters implements RunListener {
    private static final String PER_STEP =
            " (one value per step: increase(_sum)/increase(_count) over a range is the " + "mean per step)";

    private final MeterRegistry registry;
    private final String runId;
    private final Tags runTag;
    private final Consumer<RunMeters> onEnd;
    private final List<Meter> meters = new ArrayList<>();
    private final Map<String, Gauge> rewardGauges = new HashMap<>();
    private final Map<String, Counter> writeFailures = new HashMap<>();
    private final Counter steps;
    private final Counter tokens;
    private final Counter skipped;
    private final Counter extraRollouts;
    private final Timer stepDuration;
    private volatile StepMetrics latest;
    private volatile double heldOut = Double.NaN;
    private boolean gauges;
    private boolean expertGauge;
    private boolean heldOutGauge;
    private boolean removed;
    private boolean ended;

    RunMeters(MeterRegistry registry, String runId, Consumer<RunMeters> onEnd) {
        this.registry = registry;
        this.runId = runId;
        this.runTag = Tags.of("run", runId);
        this.onEnd = onEnd;
        steps = add(Counter.builder("gspo.train.steps")
                .description("GSPO steps completed by this attempt of the run")
                .tags(runTag)
                .register(registry));
        tokens = add(Counter.builder("gspo.train.tokens")
                .description("response tokens trained on")
                .baseUnit("tokens")
                .tags(runTag)
                .register(registry));
        skipped = add(Counter.builder("gspo.train.updates.skipped")
                .description("updates not applied because the loss or the gradient was not finite")
                .tags(runTag)
                .register(registry));
        extraRollouts = add(Counter.builder("gspo.train.rollouts.extra")
                .description("dynamic sampling: rollouts drawn beyond promptsPerStep x groupSize to replace dropped "
                        + "groups")
                .tags(runTag)
                .register(registry));
        stepDuration = add(Timer.builder("gspo.train.step.duration")
                .description("wall time of a GSPO step (rollout, train, publish)")
                .tags(runTag)
                .register(registry));
        for (String file : List.of("checkpoint", "metrics.jsonl", "report")) {
            writeFailures.put(
                    file,
                    add(Counter.builder("gspo.run.file.write.failures")
                            .description("run files (checkpoints, metrics.jsonl, reports) that could not be written; "
                                    + "the run went on without them")
                            .tags(runTag)
                            .tag("file", file)
                            .register(registry)));
        }
    }

    public String runId() {
        return runId;
    }

    @Override
    public synchronized void onStep(StepMetrics m) {
        if (removed) {
            return;
        }
        latest = m;
        if (!gauges) {
            lastStepGauges();
            gauges = true;
        }
        if (!expertGauge && Double.isFinite(m.expertChangeShare())) {
            gauge(
                    "gspo.train.expert.change.share",
                    StepMetrics::expertChangeShare,
                    "MoE only: share of (token, layer) expert sets that moved between pi_old and pi_theta within the "
                            + "last step",
                    null);
            expertGauge = true;
        }
        rewardGauges(m.rewards().keySet());
        steps.increment();
        tokens.increment(m.trainTokens());
        skipped.increment(m.skippedUpdates());
        extraRollouts.increment(m.extraRollouts());
        stepDuration.record(Duration.ofNanos((long) (m.stepSeconds() * 1e9)));
        perStep(m);
    }

    @Override
    public synchronized void onHeldOutAccuracy(long step, double accuracy) {
        heldOut = accuracy;
        if (!heldOutGauge && !removed && Double.isFinite(accuracy)) {
            add(Gauge.builder("gspo.train.heldout.accuracy", this, t -> t.heldOut)
                    .description("greedy accuracy on the task's held-out set at the last evaluation")
                    .tags(runTag)
                    .register(registry));
            heldOutGauge = true;
        }
    }

    @Override
    public synchronized void onWriteFailed(String file, long step, Exception error) {
        Counter c = writeFailures.get(file);
        if (c != null && !removed) {
            c.increment();
        }
    }

    /** The run is over (after its report): its meters go (now or after the linger time). Once only. */
    @Override
    public void onRunEnded() {
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
        }
        onEnd.accept(this);
    }

    /** Removes every meter of the run from the registry; events after this are ignored. */
    public synchronized void remove() {
        removed = true;
        meters.forEach(registry::remove);
        meters.clear();
        rewardGauges.clear();
    }

    private void perStep(StepMetrics m) {
        signed("gspo.train.step.reward", m.rewardMean(), "mean reward of each step's samples");
        summary("gspo.train.step.accuracy", m.accuracy(), "share of each step's samples the first reward scores >= 1");
        String clip = "share of each step's samples (level=sequence) or tokens (level=token) whose clipped branch was "
                + "active (either side)";
        summary("gspo.train.step.clip.fraction", m.clipSeqTotal(), clip, "level", "sequence");
        summary("gspo.train.step.clip.fraction", m.clipTokTotal(), clip, "level", "token");
        signed("gspo.train.step.kl", m.kl(), "approximate KL(pi_old || pi_theta) of each step");
        summary("gspo.train.step.entropy", m.entropy(), "mean token entropy of the policy in nats, each step");
        summary("gspo.train.step.grad.norm", m.gradNorm(), "global gradient norm before clipping, each step");
        summary(
                "gspo.train.step.logprob.mismatch",
                m.mismatchMean(),
                "mean |log-prob of the rollout - log-prob recomputed by the trainer| per token, each step");
        summary(
                "gspo.train.step.zero.variance.share",
                m.zeroVarianceShare(),
                "share of each step's groups whose rewards were all equal (no gradient)");
        summary("gspo.train.step.response.length", m.responseLengthMean(), "mean response length in tokens, each step");
        summary(
                "gspo.train.step.staleness",
                m.stale(),
                "policy versions between the trainer and the samples it trained on, each step (all samples of a step "
                        + "share one version; at most sampling.maxStaleness)");
    }

    /** A signed measure: {@code sign=positive} takes values ≥ 0, {@code sign=negative} the absolute value of the rest. */
    private void signed(String name, double value, String description) {
        if (!Double.isFinite(value)) {
            return;
        }
        summary(
                name,
                Math.abs(value),
                description + "; values >= 0 under sign=positive, |value| of negative ones under sign=negative",
                "sign",
                value >= 0 ? "positive" : "negative");
        // both signs exist from the first step: a query over both never misses one
        summaryOf(name, description, "sign", value >= 0 ? "negative" : "positive");
    }

    private void summary(String name, double value, String description, String... tags) {
        if (Double.isFinite(value)) {
            summaryOf(name, description, tags).record(value);
        }
    }

    private DistributionSummary summaryOf(String name, String description, String... tags) {
        DistributionSummary s = DistributionSummary.builder(name)
                .description(description + PER_STEP)
                .tags(runTag)
                .tags(tags)
                .register(registry); // the registered summary when it exists
        if (!meters.contains(s)) {
            meters.add(s);
        }
        return s;
    }

    private void rewardGauges(Set<String> names) {
        rewardGauges.entrySet().removeIf(e -> {
            boolean gone = !names.contains(e.getKey());
            if (gone) {
                registry.remove(e.getValue());
                meters.remove(e.getValue());
            }
            return gone;
        });
        for (String fn : names) {
            rewardGauges.computeIfAbsent(
                    fn,
                    k -> add(Gauge.builder("gspo.train.reward", this, t -> t.reward(k))
                            .description(
                                    "mean score of the last step's samples under one reward function of the run, "
                                            + "unweighted (fn = its name; fn=name.component: a component its reward server reported)")
                            .tags(runTag)
                            .tag("fn", k)
                            .register(registry)));
        }
    }

    private double reward(String fn) {
        StepMetrics m = latest;
        Double v = m == null ? null : m.rewards().get(fn);
        return v == null ? Double.NaN : v;
    }

    private void lastStepGauges() {
        for (String level : new String[] {"sequence", "token"}) {
            for (String side : new String[] {"low", "high", "total"}) {
                gauge(
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
        gauge("gspo.train.reward.mean", StepMetrics::rewardMean, "mean reward of the last step's samples", null);
        gauge("gspo.train.reward.std", StepMetrics::rewardStd, "std of the last step's rewards", null);
        gauge(
                "gspo.train.accuracy",
                StepMetrics::accuracy,
                "share of the last step's samples that the run's first reward function scores 1 or more",
                null);
        String ratio = "importance ratio of the last step (GSPO: sequence-level s_i; GRPO: per token) by stat";
        gauge("gspo.train.importance.ratio", StepMetrics::ratioMean, ratio, null, "stat", "mean");
        gauge("gspo.train.importance.ratio", StepMetrics::ratioMin, ratio, null, "stat", "min");
        gauge("gspo.train.importance.ratio", StepMetrics::ratioMax, ratio, null, "stat", "max");
        gauge("gspo.train.kl", StepMetrics::kl, "approximate KL(pi_old || pi_theta) of the last step", null);
        gauge("gspo.train.entropy", StepMetrics::entropy, "mean token entropy of the policy in nats, last step", null);
        gauge("gspo.train.grad.norm", StepMetrics::gradNorm, "global gradient norm before clipping, last step", null);
        gauge("gspo.train.loss", StepMetrics::loss, "policy loss of the last step", null);
        String mismatch =
                "|log-prob of the rollout - log-prob recomputed by the trainer| per token, last step, by stat";
        gauge("gspo.train.logprob.mismatch", StepMetrics::mismatchMean, mismatch, null, "stat", "mean");
        gauge("gspo.train.logprob.mismatch", StepMetrics::mismatchMax, mismatch, null, "stat", "max");
        gauge(
                "gspo.train.zero.variance.share",
                StepMetrics::zeroVarianceShare,
                "share of the last step's groups whose rewards were all equal (no gradient)",
                null);
        gauge(
                "gspo.train.response.length",
                StepMetrics::responseLengthMean,
                "mean response length in tokens of the last step",
                null);
        gauge(
                "gspo.train.dynamic.sampling.dropped.share",
                StepMetrics::droppedGroupShare,
                "dynamic sampling: share of the last step's drawn groups dropped because their rewards were all equal "
                        + "(0 without dynamic sampling)",
                null);
        gauge(
                "gspo.train.truncated.fraction",
                StepMetrics::truncatedFraction,
                "share of the last step's responses cut at maxNewTokens (finishReason length); left out of the loss "
                        + "with objective.maskTruncated",
                null);
        gauge(
                "gspo.train.staleness",
                m -> m.stale(),
                "policy versions between the trainer and the samples of the last step",
                null);
        String phase = "seconds the last step spent in each phase";
        gauge("gspo.train.phase.duration", StepMetrics::rolloutSeconds, phase, "seconds", "phase", "rollout");
        gauge("gspo.train.phase.duration", StepMetrics::trainSeconds, phase, "seconds", "phase", "train");
        gauge("gspo.train.phase.duration", StepMetrics::publishSeconds, phase, "seconds", "phase", "publish");
        gauge(
                "gspo.train.phase.duration",
                m -> Math.max(0, m.stepSeconds() - m.rolloutSeconds() - m.trainSeconds() - m.publishSeconds()),
                phase,
                "seconds",
                "phase",
                "other");
        String throughput = "tokens per second of the last step's rollout (kind=rollout) and training (kind=train)";
        gauge("gspo.train.tokens.per.second", StepMetrics::rolloutTokensPerSecond, throughput, null, "kind", "rollout");
        gauge("gspo.train.tokens.per.second", StepMetrics::trainTokensPerSecond, throughput, null, "kind", "train");
    }

    /**
     * A gauge on the latest step. Base units are set where the Prometheus name has always carried them
     * ({@code _seconds}): Micrometer appends a gauge's base unit to its exported name, and dashboards and alerts depend
     * on the names. The gauge holds this object strongly enough: the run's listener chain references it.
     */
    private void gauge(
            String name, ToDoubleFunction<StepMetrics> f, String description, String baseUnit, String... tags) {
        add(Gauge.builder(name, this, t -> t.latest == null ? Double.NaN : f.applyAsDouble(t.latest))
                .description(description)
                .baseUnit(baseUnit)
                .tags(runTag)
                .tags(tags)
                .register(registry));
    }

    private <M extends Meter> M add(M meter) {
        meters.add(meter);
        return meter;
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
