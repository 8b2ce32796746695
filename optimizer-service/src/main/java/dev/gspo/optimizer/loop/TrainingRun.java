package dev.gspo.optimizer.loop;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.objective.AdvantageConfig;
import dev.gspo.common.objective.Advantages;
import dev.gspo.common.objective.GroupAdvantages;
import dev.gspo.common.objective.LossDiagnostics;
import dev.gspo.common.objective.ObjectiveConfig;
import dev.gspo.common.objective.PolicyObjective;
import dev.gspo.common.reward.RewardInput;
import dev.gspo.common.reward.RewardMix;
import dev.gspo.common.task.Demonstration;
import dev.gspo.common.task.ModelPrompt;
import dev.gspo.common.task.Task;
import dev.gspo.common.task.TaskExample;
import dev.gspo.common.train.AdamW;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.common.train.PolicySample;
import dev.gspo.common.train.PolicyTrainer;
import dev.gspo.common.train.SupervisedTrainer;
import dev.gspo.common.train.TrainerState;
import dev.gspo.optimizer.reward.RunRewards;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import dev.gspo.optimizer.runconfig.WarmStartSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * One training run: an optional supervised warm start, then GSPO steps over the rollout fleet (docs/ARCHITECTURE.md §5; the algorithm: docs/ALGORITHM.md).
 *
 * <pre>
 *   per step k:
 *     prompts ← task.sample(P, rng(seed, k))
 *     groups  ← fleet: G responses per prompt from version ≥ v            (rollout; with sampling.maxStaleness
 *                                                                          S &gt; 0 drawn ahead, from v − S: RolloutPipeline)
 *     r       ← Σ w·f(response) over the run's reward functions;  Â ← group-relative advantage
 *     θ       ← PolicyTrainer: M minibatch updates with the selected loss   (train)
 *     v       ← v + 1; publish θ as v to every replica                     (publish)
 * </pre>
 *
 * Everything random derives from (seed, step), so a run, and a resumed run, is reproducible from its config.
 * The loop runs on the caller's thread; {@link #requestStop()} ends it after the current step, with a checkpoint.
 */
public final class TrainingRun {
    private final String runId;
    private final RunConfig config;
    private final Path runDir;
    private final RolloutSource rollouts;
    private final PolicySink publisher;
    private final RunListener listener;
    private final Task task;
    private final RewardMix rewardMix;
    private volatile boolean stopRequested;
    private volatile long step;
    private volatile long policyVersion;
    private final List<StepMetrics> history = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Double> supervisedLoss = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile double heldOutBefore = Double.NaN;
    private volatile double heldOutAfter = Double.NaN;
    private volatile Path lastCheckpoint;
    private volatile String checkpointError;
    private volatile long latestCheckpointStep = -1;
    private volatile boolean checkpointStale;
    private volatile WriteError lastWriteError;
    private final AtomicLong writeFailures = new AtomicLong();
    private final RunOptions options;
    /** Held-out accuracy by step, to keep the best checkpoint. */
    private final Map<Long, Double> heldOutByStep = new ConcurrentHashMap<>();
    /** {@link #PHASE_WARM_START} or {@link #PHASE_GSPO}. */
    private volatile String phase;

    private volatile WarmStartProgress warmStartProgress;
    private final java.util.concurrent.atomic.AtomicInteger warmStartChecks =
            new java.util.concurrent.atomic.AtomicInteger();

    /** The run is in its supervised warm start. */
    public static final String PHASE_WARM_START = "warm-start";
    /** The run is in its GSPO steps (or evaluating the policy the warm start left). */
    public static final String PHASE_GSPO = "gspo";

    /**
     * @param config  a config with defaults applied (and, when resuming, the checkpoint's own settings)
     * @param runDir  where the run keeps its checkpoints and, for the built-in model, its base model files
     */
    public TrainingRun(
            String runId,
            RunConfig config,
            Path runDir,
            RolloutSource rollouts,
            PolicySink publisher,
            RunListener listener) {
        this(runId, config, runDir, rollouts, publisher, listener, RunOptions.of(config));
    }

    /** @param options the task (created while the run was prepared) and checkpoint retention */
    public TrainingRun(
            String runId,
            RunConfig config,
            Path runDir,
            RolloutSource rollouts,
            PolicySink publisher,
            RunListener listener,
            RunOptions options) {
        this.runId = runId;
        this.config = config;
        this.runDir = runDir;
        this.rollouts = rollouts;
        this.publisher = publisher;
        this.listener = listener;
        this.task = options.task();
        this.options = options;
        heldOutByStep.putAll(options.heldOutByStep());
        boolean warms = config.resumeFrom() == null && config.warmStart().steps() > 0;
        this.phase = warms ? PHASE_WARM_START : PHASE_GSPO;
        if (warms) {
            warmStartProgress = new WarmStartProgress(
                    0,
                    config.warmStart().steps(),
                    null,
                    null,
                    null,
                    config.warmStart().targetAccuracy(),
                    null);
        }
        this.rewardMix = RunRewards.build(config.rewards(), task, options.remoteRewards());
    }

    /** Tells the listeners that the run is over ({@link RunListener#onRunEnded}): per-run meters are removed. */
    public void ended() {
        try {
            listener.onRunEnded();
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(TrainingRun.class).warn("run {}: a listener failed at its end", runId, e);
        }
    }

    public void run() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ResumePoint resume = config.resumeFrom() == null ? null : ResumePoint.read(Path.of(config.resumeFrom()));
            boolean loraResume = resume != null && resume.state().loraBase() != null;
            boolean warms = resume == null && config.warmStart().steps() > 0;
            PolicyModel model = loraResume
                    ? Checkpoint.loraBase(resume.state(), manager) // refuses a base other than the adapters'
                    : resume != null
                            ? PolicyModel.load(resume.dir(), manager)
                            : config.model().builtin()
                                    ? BuiltinModel.create(
                                            config.model().source(),
                                            runDir.resolve("base-model"),
                                            config.seed(),
                                            manager)
                                    : PolicyModel.load(Path.of(config.model().source()), manager);
            try (model;
                    AdamW adam = resume != null && !loraResume
                            ? AdamW.restore(
                                    model.weights().byName(),
                                    hyper(),
                                    Checkpoint.optimizerState(resume.dir()),
                                    resume.state().optimizerStep(),
                                    manager)
                            // a LoRA run keeps moments for the full model only while its warm start trains it
                            : new AdamW(
                                    config.lora() != null && !warms
                                            ? Map.of()
                                            : model.weights().byName(),
                                    hyper(),
                                    manager)) {
                if (warms) {
                    warmStart(model, adam);
                }
                if (config.lora() == null) {
                    train(model, adam, resume);
                } else {
                    try (LoraSession lora = LoraSession.open(config, model, warms, resume, runDir, hyper(), manager)) {
                        loraBase = lora.base();
                        loraSession = lora;
                        train(lora.model(), lora.adam(), resume);
                    }
                }
            } finally {
                model.tokenizer().close();
            }
        }
    }

    private void train(PolicyModel model, AdamW adam, ResumePoint resume) {
        long firstStep = resume != null ? resume.state().step() + 1 : 1;
        phase = PHASE_GSPO;
        heldOutBefore = orCheckpoint(() -> evaluate(model, firstStep - 1), model, adam, firstStep - 1, resume == null);
        policyVersion = Math.max(
                        resume == null ? 0 : resume.state().policyVersion(),
                        namedAdapter() != null
                                ? publisher.highestAdapterVersion(namedAdapter()) // a named adapter's own versions
                                : publisher.highestReplicaVersion())
                + 1;
        publish(model);
        // the KL reference is the policy the GSPO phase starts from (after the warm start, or at the checkpoint)
        PolicyModel reference = config.objective().klBeta() > 0
                ? model.withWeights(
                        Safetensors.read(model.mergedWeightsAsSafetensors()),
                        model.weights().manager())
                : null;
        PolicyTrainer trainer = new PolicyTrainer(
                model,
                adam,
                new PolicyObjective(ObjectiveConfig.defaults(config.objective().lossMode())
                        .withClip(config.objective().clipRange())
                        .withKlBeta(config.objective().klBeta())
                        .withTisCap(config.objective().tisCapOrOff())),
                config.optimizer().maxGradNorm(),
                reference,
                config.objective().routingReplay());
        GroupAdvantages advantages = new GroupAdvantages(
                config.objective().scaleAdvantagesByStd()
                        ? AdvantageConfig.defaults()
                        : AdvantageConfig.meanCentredOnly());
        SamplingParams sampling = new SamplingParams(
                config.sampling().maxNewTokens(),
                config.sampling().temperature(),
                1.0,
                0,
                config.sampling().stop());
        long lastStep = firstStep - 1;
        // pipelined steps (sampling.maxStaleness; RolloutPipeline): with S = 0 each step is drawn when it is taken
        try (RolloutPipeline<StepDraw> pipeline = new RolloutPipeline<>(
                config.sampling().maxStaleness(),
                config.steps(),
                (step, minVersion) -> draw(step, minVersion, model, sampling))) {
            for (long k = firstStep; k <= config.steps() && !stopRequested; k++) {
                lastStep =
                        trainStep(k, lastStep, firstStep, resume, pipeline, model, adam, trainer, advantages, sampling);
            }
        }
        if (lastStep >= firstStep || resume == null) {
            checkpoint(model, adam, lastStep);
        }
        if (reference != null) {
            reference.close();
        }
    }

    /** A step's samples and the step's generator, which the draw used first and the trainer's shuffle uses next. */
    private record StepDraw(DynamicSampling.Step step, SplittableRandom rng) {}

    /** A reward function failed while a step was drawn: the step's caller checkpoints, then fails with the cause. */
    private static final class ScoringFailed extends RuntimeException {
        ScoringFailed(RuntimeException cause) {
            super(cause);
        }
    }

    /**
     * Draws step {@code k}'s samples from versions ≥ {@code minVersion}: prompts, rollouts, rewards, and with dynamic
     * sampling the extra rounds. Runs on the pipeline's thread when steps are pipelined, so it touches neither the
     * trainer's weights nor the run's files.
     */
    private StepDraw draw(long k, long minVersion, PolicyModel model, SamplingParams sampling) {
        SplittableRandom rng = new SplittableRandom(mix(config.seed(), k));
        int g = config.sampling().groupSize();
        // Prompts go to the fleet as text, chat examples rendered by the model's template here, where the warm
        // start and the evaluation render them too (ModelPrompt). Text rather than token ids because it is
        // exactly transformers' apply_chat_template path (render, then encode without added special tokens, a
        // special token's text becoming its single id: the replica's PolicyTokenizer does this, checked against
        // transformers.js in ChatTemplateGoldenTest), it keeps the wire and RolloutSource unchanged, and the
        // replica returns the ids it used, which the trainer scores: rollout and update cannot disagree.
        DynamicSampling.Drawer drawer = (round, n, r) -> {
            List<TaskExample> examples = task.sample(n, r);
            List<String> promptTexts = examples.stream()
                    .map(e -> ModelPrompt.text(e, model.chatTemplate()))
                    .toList();
            RolloutBatch batch = rollouts.sample(promptTexts, g, sampling, r.nextLong(), minVersion, namedAdapter());
            List<RewardInput> inputs = new ArrayList<>();
            for (int i = 0; i < examples.size(); i++) {
                RolloutBatch.Group group = batch.groups().get(i);
                for (int j = 0; j < g; j++) {
                    // the first draw's ids are as without dynamic sampling; extra draws name their round
                    String id = round == 0 ? k + "-" + i + "-" + j : k + "-r" + round + "-" + i + "-" + j;
                    Map<String, Object> context = round == 0
                            ? Map.of("step", k, "group", i, "sample", j)
                            : Map.of("step", k, "group", i, "sample", j, "round", round);
                    inputs.add(rewardInput(
                            id,
                            examples.get(i),
                            promptTexts.get(i),
                            group.samples().get(j),
                            context));
                }
            }
            try {
                return new DynamicSampling.Draw(batch, rewardMix.score(inputs));
            } catch (RuntimeException e) {
                throw new ScoringFailed(e);
            }
        };
        DynamicSampling.Step drawn = config.sampling().dynamicSampling()
                ? DynamicSampling.fill(
                        config.sampling().promptsPerStep(),
                        g,
                        config.sampling().maxOverSample(),
                        rng,
                        round -> new SplittableRandom(mix(mix(config.seed(), k), round)),
                        drawer)
                : DynamicSampling.plain(config.sampling().promptsPerStep(), g, rng, drawer);
        return new StepDraw(drawn, rng);
    }

    /** One GSPO step: its samples, the update, the publish, evaluation and checkpoint when due; returns {@code k}. */
    private long trainStep(
            long k,
            long lastStep,
            long firstStep,
            ResumePoint resume,
            RolloutPipeline<StepDraw> pipeline,
            PolicyModel model,
            AdamW adam,
            PolicyTrainer trainer,
            GroupAdvantages advantages,
            SamplingParams sampling) {
        {
            long started = System.nanoTime();
            int g = config.sampling().groupSize();
            long versionBefore = policyVersion;
            StepDraw taken;
            try {
                taken = pipeline.take(k, versionBefore).drawn();
            } catch (ScoringFailed e) {
                // the policy is as step lastStep left it: keep it (unless it is the checkpoint resumed from)
                keepBeforeFailing(model, adam, lastStep, lastStep >= firstStep || resume == null);
                throw (RuntimeException) e.getCause();
            }
            DynamicSampling.Step drawn = taken.step();
            SplittableRandom rng = taken.rng();
            RolloutBatch batch = drawn.drawnBatch();
            long rolled = System.nanoTime();

            List<RolloutBatch.Group> trainedGroups = drawn.trainedGroups();
            double[] rewards = drawn.trainedRewards();
            RewardMix.Result scored = drawn.scored();
            Advantages adv = advantages.compute(rewards, g);
            List<PolicySample> samples = new ArrayList<>();
            for (int i = 0; i < trainedGroups.size(); i++) {
                RolloutBatch.Group group = trainedGroups.get(i);
                for (int j = 0; j < g; j++) {
                    Completion c = group.samples().get(j);
                    samples.add(new PolicySample(
                            group.promptTokenIds(),
                            c.tokenIds(),
                            c.logprobs(),
                            adv.advantages()[i * g + j],
                            sampling.logprobTemperature(),
                            config.objective().maskTruncated()
                                    && c.finishReason() != null
                                    && c.finishReason().truncated()));
                }
            }
            PolicyTrainer.StepResult result = trainer.step(
                    samples,
                    Math.min(config.optimizer().miniBatches(), samples.size()),
                    config.optimizer().learningRate(),
                    config.objective().oldLogprobs(),
                    // the share among the groups drawn (what the policy produced), not among those kept
                    drawn.zeroVarianceShare(),
                    rng);
            long trained = System.nanoTime();
            // no version is published while samples requested for a later step are being drawn (RolloutPipeline)
            pipeline.awaitInFlight();
            long awaited = System.nanoTime();

            policyVersion++;
            publish(model);
            long published = System.nanoTime();
            if (!stopRequested) {
                pipeline.ahead(k + 1, policyVersion); // the next steps' samples are drawn from here on
            }
            step = k;
            double heldOut = Double.NaN;
            if (k % config.eval().every() == 0 || k == config.steps()) {
                long completed = k;
                heldOut = orCheckpoint(() -> evaluate(model, completed), model, adam, completed, true);
                heldOutAfter = heldOut;
            }
            boolean checkpointDue = config.checkpointing().every() > 0
                    && k % config.checkpointing().every() == 0;
            if (checkpointDue && k != config.steps() && !stopRequested) {
                checkpoint(model, adam, k);
            }
            StepMetrics m = metrics(
                    k,
                    scored,
                    result,
                    batch,
                    drawn,
                    versionBefore,
                    heldOut,
                    // waiting for samples: before training, and (pipelined) for later steps' before publishing
                    seconds(started, rolled) + seconds(trained, awaited),
                    seconds(rolled, trained),
                    seconds(awaited, published),
                    seconds(started, System.nanoTime()));
            history.add(m);
            // the history file is written here: a failure to write it costs the line, not the run
            try {
                listener.onStep(m);
            } catch (RunFileException e) {
                writeFailed(e.file(), k, e);
            }
        }
        return k;
    }

    /**
     * Runs a reward computation: a step's rewards (before the step trains) or the held-out accuracy (after step
     * {@code completed}). A reward function that fails (a reward server that is down or answers nonsense) fails the
     * run: it never trains on rewards nobody computed. The policy is then exactly as step {@code completed} left it, so
     * that step is checkpointed first, unless it is the checkpoint the run resumed from ({@code isNew} false) or it was
     * just written, and the run can be resumed without losing the work.
     */
    private <T> T orCheckpoint(Supplier<T> scoring, PolicyModel model, AdamW adam, long completed, boolean isNew) {
        try {
            return scoring.get();
        } catch (RuntimeException e) {
            keepBeforeFailing(model, adam, completed, isNew);
            throw e;
        }
    }

    /** Checkpoints step {@code completed} before the run fails, unless it is the one resumed from or just written. */
    private void keepBeforeFailing(PolicyModel model, AdamW adam, long completed, boolean isNew) {
        if (isNew && !checkpointDir(completed).equals(lastCheckpoint)) {
            checkpoint(model, adam, completed);
        }
    }

    /**
     * What the reward functions see of one response; {@code metadata} is sent to a reward server as is.
     *
     * @param promptText the text the policy continued ({@link ModelPrompt#text}: a chat example rendered through the
     *                   model's chat template)
     */
    private static RewardInput rewardInput(
            String id, TaskExample example, String promptText, Completion c, Map<String, Object> context) {
        Map<String, Object> metadata = new LinkedHashMap<>(context);
        metadata.put("exampleId", example.id());
        metadata.put("responseTokens", c.tokenIds().length);
        if (c.finishReason() != null) {
            metadata.put("finishReason", c.finishReason().wireName());
        }
        if (!example.metadata().isEmpty()) {
            metadata.put("exampleMetadata", example.metadata()); // the dataset line's "metadata", as is
        }
        return new RewardInput(id, promptText, c.text(), example.answer(), c.tokenIds().length, metadata);
    }

    /**
     * The supervised warm start: at most {@code warmStart.steps} steps at a linearly decaying learning rate, stopped
     * early once the greedy accuracy on a fixed sample of training prompts reaches {@code warmStart.targetAccuracy}
     * (measured every {@code warmStart.checkEvery} steps; {@link WarmStartSpec}).
     */
    private void warmStart(PolicyModel model, AdamW adam) {
        WarmStartSpec ws = config.warmStart();
        SupervisedTrainer sft =
                new SupervisedTrainer(model, adam, config.optimizer().maxGradNorm());
        // the check sample: drawn once from the run seed, so every check measures the same prompts
        List<TaskExample> checkSample = ws.hasTarget()
                ? task.sample(ws.checkSize(), new SplittableRandom(mix(config.seed() ^ 0xC4ECL, 0)))
                : List.of();
        Double loss = null;
        Double accuracy = null;
        Long accuracyStep = null;
        String stoppedBecause = WarmStartProgress.MAX_STEPS;
        int s = 0;
        while (s < ws.steps()) {
            if (stopRequested) {
                stoppedBecause = WarmStartProgress.STOPPED;
                break;
            }
            s++;
            SplittableRandom rng = new SplittableRandom(mix(config.seed() ^ 0x5f7L, s));
            List<int[]> prompts = new ArrayList<>();
            List<int[]> targets = new ArrayList<>();
            for (Demonstration d : task.demonstrations(ws.batchSize(), rng)) {
                prompts.add(model.tokenizer().encode(ModelPrompt.text(d.example(), model.chatTemplate())));
                targets.add(ResponseEnd.demonstrationIds(
                        model.tokenizer(), d, config.sampling().stop()));
            }
            // linear decay to 10% keeps the end of the warm start from overshooting
            double lr = ws.learningRate() * (1 - 0.9 * (s - 1) / (double) ws.steps());
            SupervisedTrainer.StepResult r = sft.step(prompts, targets, lr);
            loss = r.loss();
            supervisedLoss.add(r.loss());
            listener.onSupervisedStep(s, ws.steps(), r.loss());
            boolean reached = false;
            if (ws.hasTarget() && s % ws.checkEvery() == 0) {
                int at = s;
                double acc = HeldOutEvaluator.accuracy(
                        model,
                        checkSample,
                        config.sampling().maxNewTokens(),
                        config.sampling().stop(),
                        (example, completion, index) -> rewardInput(
                                "warm-start-" + at + "-" + index,
                                example,
                                ModelPrompt.text(example, model.chatTemplate()),
                                completion,
                                Map.of("warmStartCheck", true)),
                        rewardMix.primary());
                warmStartChecks.incrementAndGet();
                accuracy = acc;
                accuracyStep = (long) s;
                listener.onWarmStartAccuracy(s, ws.steps(), acc, ws.targetAccuracy());
                reached = acc >= ws.targetAccuracy();
            }
            warmStartProgress =
                    new WarmStartProgress(s, ws.steps(), loss, accuracy, accuracyStep, ws.targetAccuracy(), null);
            if (reached) {
                stoppedBecause = WarmStartProgress.TARGET_REACHED;
                break;
            }
        }
        warmStartProgress =
                new WarmStartProgress(s, ws.steps(), loss, accuracy, accuracyStep, ws.targetAccuracy(), stoppedBecause);
    }

    private double evaluate(PolicyModel model, long atStep) {
        if (config.eval().size() == 0) {
            return Double.NaN;
        }
        double acc = HeldOutEvaluator.accuracy(
                model,
                task,
                config.eval().size(),
                config.sampling().maxNewTokens(),
                config.sampling().stop(),
                (example, completion, index) -> rewardInput(
                        "heldout-" + atStep + "-" + index,
                        example,
                        ModelPrompt.text(example, model.chatTemplate()),
                        completion,
                        Map.of("heldOut", true)),
                rewardMix.primary());
        heldOutByStep.put(atStep, acc);
        listener.onHeldOutAccuracy(atStep, acc);
        return acc;
    }

    /** The name a LoRA run's adapter is served under ({@code lora.adapter}), or null. */
    private String namedAdapter() {
        return config.lora() == null ? null : config.lora().adapter();
    }

    private void publish(PolicyModel model) {
        if (loraSession != null && namedAdapter() != null) {
            // beside other runs' adapters over the same base: each version as the named adapter (LoraSession)
            noted(loraSession.publishNamed(publisher, namedAdapter(), policyVersion));
            return;
        }
        if (loraSession != null && publisher.publishesAdapters()) {
            // the base once as full weights, then each version as its adapter only (LoraSession)
            if (loraSession.needsBase()) {
                noted(loraSession.publishBase(publisher, policyVersion));
                if (!loraSession.adapterIsZero()) { // a resume: its adapter is trained already
                    policyVersion++;
                    noted(loraSession.publishAdapter(publisher, policyVersion));
                }
                return;
            }
            noted(loraSession.publishAdapter(publisher, policyVersion));
            return;
        }
        // a LoRA model: base + (α/r)·B A
        Serialised v = Serialised.of(publisher, model::mergedWeightsAsSafetensors);
        noted(publisher.publish(policyVersion, v.bytes(), v.sha256()));
    }

    private void noted(PublishResult r) {
        lastPublish = r;
        for (PublishResult.Replica failed : r.replicas()) {
            if (!failed.ok()) {
                lastPublishError =
                        new PublishError(r.version(), String.valueOf(failed.endpoint()), failed.error(), Instant.now());
            }
        }
    }

    private volatile PublishResult lastPublish;
    /** The frozen base of a LoRA run's GSPO phase (recorded in its checkpoints); null for full fine-tuning. */
    private TrainerState.LoraBase loraBase;
    /** The GSPO phase of a LoRA run (what to publish); null for full fine-tuning. */
    private LoraSession loraSession;

    private volatile PublishError lastPublishError;

    private Path checkpointDir(long atStep) {
        return runDir.resolve("checkpoints").resolve(String.format("step-%06d", atStep));
    }

    private void checkpoint(PolicyModel model, AdamW adam, long atStep) {
        Path dir = checkpointDir(atStep);
        try {
            JsonNode cfg = RunConfigJson.write(config.withResumeFrom(null));
            Checkpoint.write(
                    dir,
                    model,
                    adam,
                    new TrainerState(runId, atStep, policyVersion, adam.step(), config.seed(), cfg, null)
                            .withLoraBase(loraBase));
            lastCheckpoint = dir;
            latestCheckpointStep = atStep;
            checkpointStale = false;
            checkpointError = null;
            listener.onCheckpoint(atStep, dir);
        } catch (RuntimeException e) {
            // a full disk or an unwritable folder must not kill the run: the last good checkpoint stays
            checkpointStale = true;
            checkpointError = "checkpoint after step " + atStep + " failed: " + e.getMessage();
            listener.onCheckpointFailed(atStep, e);
            writeFailed("checkpoint", atStep, e);
            return;
        }
        try {
            CheckpointRetention.prune(
                    dir.getParent(),
                    dir,
                    options.checkpointKeepLast(),
                    options.checkpointKeepBest() ? Map.copyOf(heldOutByStep) : Map.of());
        } catch (IOException | RuntimeException e) {
            writeFailed("checkpoint", atStep, e);
        }
    }

    /**
     * Records a run file that could not be written (the status shows the latest, a metric counts them); the run goes
     * on. Also called by whoever writes the run's report when it ends.
     */
    public void writeFailed(String file, long atStep, Exception e) {
        lastWriteError = new WriteError(file, atStep, String.valueOf(e.getMessage()), Instant.now());
        writeFailures.incrementAndGet();
        listener.onWriteFailed(file, atStep, e);
    }

    private StepMetrics metrics(
            long k,
            RewardMix.Result scored,
            PolicyTrainer.StepResult r,
            RolloutBatch batch,
            DynamicSampling.Step drawn,
            long versionBefore,
            double heldOut,
            double rolloutS,
            double trainS,
            double publishS,
            double stepS) {
        double[] rewards = scored.total();
        double mean = Arrays.stream(rewards).average().orElse(0);
        double var = Arrays.stream(rewards).map(x -> (x - mean) * (x - mean)).sum() / Math.max(1, rewards.length - 1);
        // correct = the primary (first) function's full score: with the default, the task's exact match
        double acc = Arrays.stream(scored.primary()).filter(x -> x >= 1).count() / (double) rewards.length;
        List<LossDiagnostics> d = r.minibatches();
        return new StepMetrics(
                k,
                config.steps(),
                "gspo",
                policyVersion,
                mean,
                Math.sqrt(var),
                acc,
                heldOut,
                avg(d, LossDiagnostics::loss),
                r.gradNorms().stream().mapToDouble(x -> x).average().orElse(Double.NaN),
                avg(d, x -> x.clipSequence().low()),
                avg(d, x -> x.clipSequence().high()),
                avg(d, x -> x.clipSequence().total()),
                avg(d, x -> x.clipToken().low()),
                avg(d, x -> x.clipToken().high()),
                avg(d, x -> x.clipToken().total()),
                avg(d, x -> x.ratio().mean()),
                d.stream().mapToDouble(x -> x.ratio().min()).min().orElse(Double.NaN),
                d.stream().mapToDouble(x -> x.ratio().max()).max().orElse(Double.NaN),
                avg(d, LossDiagnostics::approxKl),
                avg(d, LossDiagnostics::entropy),
                r.mismatchMean(),
                r.mismatchMax(),
                d.isEmpty() ? Double.NaN : d.getFirst().zeroVarianceShare(),
                avg(d, LossDiagnostics::meanResponseLength),
                r.tokens(),
                batch.completionTokens(),
                r.skipped(),
                // the oldest trained sample's distance to the version it trained on (≤ sampling.maxStaleness)
                versionBefore
                        - drawn.trainedGroups().stream()
                                .mapToLong(RolloutBatch.Group::policyVersion)
                                .min()
                                .orElse(batch.policyVersion()),
                rolloutS,
                trainS,
                publishS,
                stepS,
                r.routingChangeShare(),
                scored.means(),
                batch.truncatedFraction(),
                drawn.droppedShare(),
                drawn.extraRollouts());
    }

    private static double avg(List<LossDiagnostics> d, ToDoubleFunction<LossDiagnostics> f) {
        return d.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    private AdamW.Hyper hyper() {
        AdamW.Hyper h = AdamW.Hyper.defaults();
        return new AdamW.Hyper(h.beta1(), h.beta2(), h.eps(), config.optimizer().weightDecay());
    }

    private static double seconds(long from, long to) {
        return (to - from) / 1e9;
    }

    static long mix(long seed, long step) {
        long z = seed * 0x9E3779B97F4A7C15L + step;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public void requestStop() {
        stopRequested = true;
    }

    public boolean stopRequested() {
        return stopRequested;
    }

    public String runId() {
        return runId;
    }

    public RunConfig config() {
        return config;
    }

    public long step() {
        return step;
    }

    public long policyVersion() {
        return policyVersion;
    }

    public List<StepMetrics> history() {
        return List.copyOf(history);
    }

    public List<Double> supervisedLoss() {
        return List.copyOf(supervisedLoss);
    }

    public double heldOutBefore() {
        return heldOutBefore;
    }

    public double heldOutAfter() {
        return heldOutAfter;
    }

    public Path lastCheckpoint() {
        return lastCheckpoint;
    }

    /** Why the latest checkpoint attempt failed (the previous checkpoint is kept), or null. */
    public String checkpointError() {
        return checkpointError;
    }

    /** The step of the newest checkpoint written whole by this run, or -1. */
    public long latestCheckpointStep() {
        return latestCheckpointStep;
    }

    /** True while the latest checkpoint attempt failed: the newest good checkpoint is older than it should be. */
    public boolean checkpointStale() {
        return checkpointStale;
    }

    /** The latest run-file write that failed, or null. */
    public WriteError lastWriteError() {
        return lastWriteError;
    }

    public long writeFailures() {
        return writeFailures.get();
    }

    public PublishResult lastPublish() {
        return lastPublish;
    }

    /** The latest push of this run that a replica did not take, or null. */
    public PublishError lastPublishError() {
        return lastPublishError;
    }

    public Task task() {
        return task;
    }

    /** {@link #PHASE_WARM_START} while the supervised warm start runs, then {@link #PHASE_GSPO}. */
    public String phase() {
        return phase;
    }

    /** The warm start's progress, or where it stopped and why; null for a run without one (or a resumed run). */
    public WarmStartProgress warmStart() {
        return warmStartProgress;
    }

    /** How many accuracy checks the warm start made. */
    public int warmStartChecks() {
        return warmStartChecks.get();
    }
}
