package dev.gspo.optimizer.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.chat.ChatTemplate;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.InvalidModelException;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.PolicyWeights;
import dev.gspo.common.task.JsonlSpec;
import dev.gspo.common.task.JsonlTask;
import dev.gspo.common.task.ModelPrompt;
import dev.gspo.common.task.PromptFit;
import dev.gspo.common.task.Task;
import dev.gspo.common.task.TaskExample;
import dev.gspo.common.task.TaskSpec;
import dev.gspo.common.tokenizer.BuiltinVocabulary;
import dev.gspo.common.tokenizer.PolicyTokenizer;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.common.train.TrainerState;
import dev.gspo.optimizer.loop.CompositeRunListener;
import dev.gspo.optimizer.loop.FleetModelCheck;
import dev.gspo.optimizer.loop.PolicySink;
import dev.gspo.optimizer.loop.RolloutSource;
import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.RunOptions;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.loop.TrainingRun;
import dev.gspo.optimizer.reward.RemoteRewards;
import dev.gspo.optimizer.runconfig.InvalidRunConfigException;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import dev.gspo.optimizer.runconfig.SamplingSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts, tracks and stops training runs: at most one runs at a time (on a thread of its own: training steps
 * serialise on DJL's single gradient collector anyway), every run is remembered with its attempts and per-step
 * history, on disk too ({@link RunRegistry}): an optimizer that restarts over the same checkpoint folder knows every
 * run it knew before.
 *
 * <p>Preparing a run (reading and verifying a checkpoint, creating the task, which may read a dataset, checking the
 * model directory and the fleet's model) happens without the lock that {@link #list()} and {@link #get} take, so the
 * API keeps answering while a large task is built; it comes before the busy check, so an invalid config is refused
 * with its problems even while another run is active, and of two valid starts at once the first to finish preparing
 * runs, the other is a conflict. Every file a config names must lie in the folders {@link AllowedPaths} allows.
 */
public final class RunService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunService.class);
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
    /** A run id as {@code resumeFrom} may name one: a single folder name under the checkpoint root. */
    private static final Pattern RUN_ID = Pattern.compile("(?!\\.\\.?$)[A-Za-z0-9._-]{1,200}");

    private static final DateTimeFormatter ID_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    /**
     * Everything known about one run: its finished attempts, and either the attempt this optimizer runs (or ran) or,
     * for a run known from disk, the status its record holds.
     */
    private static final class Entry {
        final String runId;
        final List<RunAttempt> previous;
        /** The run's status as read from its record; null once this optimizer started an attempt of it. */
        final RunStatus stored;

        TrainingRun run;
        Instant startedAt;
        long fromStep;
        /**
         * The last step whose record is on disk: what {@code GET /v1/runs/{id}} says, so that a step an orchestrator
         * has seen is never lost by a crash (the loop's own step counter moves first, before the step's evaluation,
         * checkpoint and history are written).
         */
        volatile long recordedStep;

        long fromVersion;
        String resumedFrom;
        List<StepMetrics> earlierHistory = List.of();
        volatile RunState state;
        volatile Instant finishedAt;
        volatile String error;
        final CompletableFuture<RunState> done = new CompletableFuture<>();

        /** A run known from its record. */
        Entry(RunStatus stored) {
            this.runId = stored.runId();
            this.previous = new ArrayList<>(stored.attempts());
            this.stored = stored;
            this.state = stored.state();
            this.done.complete(stored.state());
        }

        /** A new attempt of a run, after {@code previous} ones. */
        Entry(TrainingRun run, List<RunAttempt> previous, ResumeInfo resume, List<StepMetrics> earlierHistory) {
            this.runId = run.runId();
            this.previous = new ArrayList<>(previous);
            this.stored = null;
            this.run = run;
            this.startedAt = Instant.now();
            this.fromStep = resume == null ? 0 : resume.step();
            this.recordedStep = fromStep;
            this.fromVersion = resume == null ? 0 : resume.policyVersion();
            this.resumedFrom = resume == null ? null : resume.dir();
            this.earlierHistory = earlierHistory;
            this.state = RunState.RUNNING;
        }

        /** The first attempt's start: runs are listed newest first by it. */
        Instant createdAt() {
            if (!previous.isEmpty() && previous.getFirst().startedAt() != null) {
                return previous.getFirst().startedAt();
            }
            return stored != null && stored.startedAt() != null
                    ? stored.startedAt()
                    : startedAt == null ? Instant.EPOCH : startedAt;
        }
    }

    /** Where a resume continues: the checkpoint directory, its step and policy version. */
    private record ResumeInfo(String dir, long step, long policyVersion) {}

    private final Path checkpointRoot;
    private final RolloutSource rollouts;
    private final PolicySink publisher;
    private final Function<String, RunListener> listeners;
    private final RemoteRewards remoteRewards;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "training-run");
        t.setDaemon(false);
        return t;
    });
    private final Map<String, Entry> runs = new LinkedHashMap<>();
    private final AllowedPaths paths;
    private final Function<TaskSpec, Task> tasks;
    private final Retention retention;
    private final RunRegistry registry;
    private final FleetModelCheck fleetCheck;
    private Entry active;

    /** How many checkpoints each run keeps ({@code gspo.optimizer.checkpoint-keep-last}, {@code -keep-best}). */
    public record Retention(int keepLast, boolean keepBest) {
        public static final Retention ALL = new Retention(0, false);
    }

    /** @param listeners the listener for a run id (metrics, progress log, history file) */
    public RunService(
            Path checkpointRoot,
            RolloutSource rollouts,
            PolicySink publisher,
            Function<String, RunListener> listeners) {
        this(
                checkpointRoot,
                rollouts,
                publisher,
                listeners,
                AllowedPaths.checkpointsOnly(checkpointRoot),
                Retention.ALL,
                TaskSpec::create,
                RemoteRewards.unavailable(),
                FleetModelCheck.NONE);
    }

    /**
     * @param paths the folders a config may name files in
     * @param tasks creates a run's task from its spec ({@link TaskSpec#create})
     * @param remoteRewards the clients of {@code http} reward functions, checked before a run starts
     * @param fleetCheck    whether the fleet serves a model the run's weights fit, checked before a run starts
     */
    public RunService(
            Path checkpointRoot,
            RolloutSource rollouts,
            PolicySink publisher,
            Function<String, RunListener> listeners,
            AllowedPaths paths,
            Retention retention,
            Function<TaskSpec, Task> tasks,
            RemoteRewards remoteRewards,
            FleetModelCheck fleetCheck) {
        this.checkpointRoot = checkpointRoot;
        this.rollouts = rollouts;
        this.publisher = publisher;
        this.listeners = listeners;
        this.paths = paths;
        this.retention = retention;
        this.tasks = tasks;
        this.remoteRewards = remoteRewards;
        this.fleetCheck = fleetCheck;
        this.registry = new RunRegistry(checkpointRoot);
        for (RunStatus stored : registry.load()) {
            runs.put(stored.runId(), new Entry(stored));
        }
        if (!runs.isEmpty()) {
            log.info("{} run(s) recorded under {}", runs.size(), checkpointRoot);
        }
    }

    /**
     * Validates and starts a run. Validation comes first (an invalid config is refused with its problems even while
     * another run is active), then the busy check: {@link RunConflictException} while another run is running or
     * starting. A resume ({@code resumeFrom}) becomes a new attempt of the run it continues.
     */
    public RunStatus start(RunConfig requested, RunCompletionHook after) {
        Prepared p = prepare(requested);
        synchronized (this) {
            if (active != null && active.state == RunState.RUNNING) {
                throw new RunConflictException("run " + active.runId + " is still running; stop it first");
            }
            Entry known = runs.get(p.runId());
            List<RunAttempt> previous = known == null ? List.of() : attempts(known);
            TrainingRun run = new TrainingRun(
                    p.runId(),
                    p.config(),
                    checkpointRoot.resolve(p.runId()),
                    rollouts,
                    publisher,
                    // the record first: a history line that cannot be written must not keep the record behind
                    CompositeRunListener.of(
                            new RunListener() {
                                @Override
                                public void onStep(StepMetrics metrics) {
                                    recordStep(p.runId(), metrics.step());
                                }

                                @Override
                                public void onCheckpoint(long step, Path dir) {
                                    record(p.runId());
                                }
                            },
                            listeners.apply(p.runId())),
                    new RunOptions(
                            p.task(), retention.keepLast(), retention.keepBest(), heldOut(p.earlier()), remoteRewards));
            Entry entry = new Entry(run, previous, p.resume(), p.earlier());
            runs.remove(p.runId()); // re-inserted: the map keeps the order in which attempts started
            runs.put(p.runId(), entry);
            active = entry;
            record(entry);
            executor.submit(() -> execute(entry, after));
            return status(entry);
        }
    }

    /**
     * What {@code POST /v1/runs?dryRun=true} answers: everything a start checks, nothing started. A valid config is
     * accepted even while another run is active (only a real start needs the trainer).
     */
    public DryRun dryRun(RunConfig requested) {
        Prepared p = prepare(requested);
        return new DryRun(
                true,
                p.resume() == null ? null : p.runId(),
                p.resume() == null ? null : p.resume().step(),
                p.config());
    }

    /**
     * {@code POST /v1/runs?dryRun=true}: the config a start would run with, every default filled in.
     *
     * @param dryRun        always true: nothing was started
     * @param resumes       the run a resume would continue (absent for a new run)
     * @param resumesAtStep the step it would continue from
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public record DryRun(boolean dryRun, String resumes, Long resumesAtStep, RunConfig config) {}

    /** A run ready to start: its id, its config with defaults, its task, the history of the run it resumes. */
    private record Prepared(String runId, RunConfig config, Task task, List<StepMetrics> earlier, ResumeInfo resume) {}

    /** Everything a start reads from disk, outside the lock; throws {@link InvalidRunConfigException} with every problem. */
    private Prepared prepare(RunConfig requested) {
        String runId;
        RunConfig config;
        List<StepMetrics> earlier = List.of();
        ResumeInfo resume = null;
        if (requested.resumeFrom() != null && !requested.resumeFrom().isBlank()) {
            Path dir = resolveCheckpoint(requested.resumeFrom());
            TrainerState state = Checkpoint.read(dir); // verifies every checksum before anything is loaded
            RunConfig saved =
                    withNewlineStopIfUnset(RunConfigJson.read(state.config())); // nested, or flat from earlier versions
            config = (requested.steps() != null ? saved.withSteps(requested.steps()) : saved)
                    .withDefaults()
                    .withResumeFrom(dir.toString());
            runId = state.runId();
            if (runId == null || !RUN_ID.matcher(runId).matches()) {
                throw new InvalidRunConfigException(List.of(
                        "resumeFrom: the checkpoint's run id is not a folder name; it cannot be continued here"));
            }
            earlier = readHistory(runId).stream()
                    .filter(m -> m.step() <= state.step())
                    .toList();
            if (state.step() >= config.steps()) {
                throw new InvalidRunConfigException(List.of("steps: the checkpoint is at step " + state.step() + " of "
                        + config.steps() + "; pass a larger \"steps\" to continue"));
            }
            resume = new ResumeInfo(dir.toString(), state.step(), state.policyVersion());
        } else {
            config = requested.withDefaults();
            runId = "run-" + ID_TIME.format(Instant.now()) + "-"
                    + HexFormat.of()
                            .toHexDigits(ThreadLocalRandom.current().nextInt())
                            .substring(0, 4);
        }
        List<String> problems = new ArrayList<>(config.validate());
        Task task = null;
        if (problems.isEmpty()) {
            TaskSpec spec = confinedTask(config.task(), problems);
            if (problems.isEmpty()) {
                try {
                    task = tasks.apply(spec);
                } catch (RuntimeException e) { // also UncheckedIOException: an unreadable dataset is a bad config
                    problems.add("task: " + e.getMessage());
                }
            }
            // a resumed run takes its weights from the checkpoint: the model it started from is not read again
            if (!config.model().builtin() && config.resumeFrom() == null) {
                String source = config.model().source();
                AllowedPaths.Checked model = paths.modelDir("model.source", source);
                if (!model.ok()) {
                    problems.add(model.problem());
                } else if (!Files.isDirectory(model.path())) {
                    problems.add("model.source: '" + source + "' is neither 'builtin', 'moe' nor a model directory");
                } else if (config.objective().routingReplay() && !isMoe(model.path())) {
                    problems.add("objective.routingReplay: the model in " + source + " has no MoE layers");
                }
            }
            // after the path checks: the model directory's tokenizer files are read only once it is allowed
            if (task != null && problems.isEmpty()) {
                chatProblem(task, config).ifPresent(problems::add);
            }
            if (task instanceof JsonlTask dataset && problems.isEmpty()) {
                promptLengthProblem(dataset, config).ifPresent(problems::add);
            }
        }
        if (problems.isEmpty()) {
            modelConfig(config).flatMap(model -> oneBodyProblem(config, model)).ifPresent(problems::add);
        }
        if (problems.isEmpty() && config.lora() != null) {
            modelConfig(config).ifPresent(model -> problems.addAll(config.lora().fitProblems(model)));
        }
        if (problems.isEmpty()) {
            modelConfig(config).ifPresent(model -> problems.addAll(fleetCheck.problems(model)));
        }
        if (problems.isEmpty()) {
            problems.addAll(remoteRewards.check(config.rewards())); // reward servers: last, once all else is valid
        }
        if (!problems.isEmpty()) {
            throw new InvalidRunConfigException(problems);
        }
        return new Prepared(runId, config, task, earlier, resume);
    }

    /**
     * A checkpoint written before {@code sampling.stop} existed ended every response at a newline (and the EOS), a
     * dataset's too: it resumes with that stop rather than with today's default for its task.
     */
    private static RunConfig withNewlineStopIfUnset(RunConfig saved) {
        SamplingSpec s = saved.sampling();
        if (s != null && s.stop() != null) {
            return saved;
        }
        SamplingSpec legacy = s == null
                ? new SamplingSpec(null, null, null, null, List.of(Task.STOP))
                : new SamplingSpec(
                        s.promptsPerStep(),
                        s.groupSize(),
                        s.temperature(),
                        s.maxNewTokens(),
                        List.of(Task.STOP),
                        s.dynamicSampling(),
                        s.maxOverSample(),
                        s.maxStaleness());
        return new RunConfig(
                saved.task(),
                saved.rewards(),
                saved.model(),
                saved.seed(),
                saved.steps(),
                legacy,
                saved.objective(),
                saved.optimizer(),
                saved.warmStart(),
                saved.eval(),
                saved.checkpointing(),
                saved.resumeFrom(),
                saved.lora());
    }

    /**
     * The task with its dataset files replaced by their real paths, each checked against the data folders (the config
     * itself keeps the paths as the user wrote them).
     */
    private TaskSpec confinedTask(TaskSpec spec, List<String> problems) {
        if (!(spec instanceof JsonlSpec jsonl)) {
            return spec;
        }
        String path = confined("task.path", jsonl.path(), problems);
        String heldOutPath = confined("task.heldOutPath", jsonl.heldOutPath(), problems);
        return new JsonlSpec(path, heldOutPath, jsonl.heldOutFraction());
    }

    private String confined(String field, String value, List<String> problems) {
        if (value == null || value.isBlank()) {
            return value;
        }
        AllowedPaths.Checked file = paths.dataFile(field, value);
        if (!file.ok()) {
            problems.add(file.problem());
            return value;
        }
        return file.path().toString();
    }

    private static Map<Long, Double> heldOut(List<StepMetrics> history) {
        Map<Long, Double> out = new HashMap<>();
        history.stream()
                .filter(m -> Double.isFinite(m.heldOutAccuracy()))
                .forEach(m -> out.put(m.step(), m.heldOutAccuracy()));
        return out;
    }

    /** A chat dataset needs a model with a chat template (the model, or the checkpoint a resumed run starts from). */
    private static Optional<String> chatProblem(Task task, RunConfig config) {
        if (!task.usesChatMessages()) {
            return Optional.empty();
        }
        String taskLabel =
                config.task() instanceof JsonlSpec j ? "task.path '" + j.path() + "'" : "task '" + task.name() + "'";
        Path modelDir = config.resumeFrom() != null
                ? Path.of(config.resumeFrom())
                : config.model().builtin() ? null : Path.of(config.model().source());
        String modelLabel = config.resumeFrom() != null
                ? "the checkpoint '" + config.resumeFrom() + "'"
                : "model.source '" + config.model().source() + "'";
        if (modelDir != null && !Files.isDirectory(modelDir)) {
            return Optional.empty(); // reported as a missing model directory
        }
        try {
            return ModelPrompt.chatProblem(
                    task,
                    taskLabel,
                    modelLabel,
                    modelDir == null ? Optional.empty() : PolicyModel.chatTemplate(modelDir));
        } catch (RuntimeException e) {
            return Optional.of("model.source: " + e.getMessage());
        }
    }

    /**
     * A dataset prompt too long for the model's context, once the response's {@code sampling.maxNewTokens} are set
     * aside ({@link PromptFit}): refused here rather than by a replica at the first step. Every prompt, training and
     * held-out, is encoded with the model's tokenizer (chat conversations rendered through its template first).
     */
    private static Optional<String> promptLengthProblem(JsonlTask task, RunConfig config) {
        String taskLabel =
                config.task() instanceof JsonlSpec j ? "task.path '" + j.path() + "'" : "task '" + task.name() + "'";
        List<TaskExample> examples = new ArrayList<>(task.training());
        examples.addAll(task.heldOut());
        Path tmp = null;
        try {
            Path modelDir;
            String modelLabel;
            int maxPositions;
            List<Integer> eos = List.of();
            if (config.resumeFrom() != null || !config.model().builtin()) {
                modelDir = Path.of(
                        config.resumeFrom() != null
                                ? config.resumeFrom()
                                : config.model().source());
                modelLabel = config.resumeFrom() != null
                        ? "the checkpoint '" + config.resumeFrom() + "'"
                        : "model.source '" + config.model().source() + "'";
                if (!Files.isRegularFile(modelDir.resolve(PolicyModel.CONFIG_FILE))) {
                    return Optional.empty(); // reported when the run loads the model
                }
                ModelConfig modelConfig = ModelConfig.read(modelDir.resolve(PolicyModel.CONFIG_FILE));
                maxPositions = modelConfig.maxPositionEmbeddings();
                eos = modelConfig.eosTokenIds();
            } else {
                tmp = Files.createTempDirectory("gspo-builtin-tokenizer");
                BuiltinVocabulary.writeTo(tmp);
                modelDir = tmp;
                modelLabel = "model.source '" + config.model().source() + "'";
                maxPositions = BuiltinModel.config(config.model().source()).maxPositionEmbeddings();
            }
            Optional<ChatTemplate> template = tmp == null ? PolicyModel.chatTemplate(modelDir) : Optional.empty();
            // the eos as PolicyModel loads it: config.json's first id wins (a tokenizer without a known eos name loads)
            try (PolicyTokenizer tokenizer =
                    eos.isEmpty() ? PolicyTokenizer.load(modelDir) : PolicyTokenizer.load(modelDir, eos.getFirst())) {
                return PromptFit.problem(
                        examples,
                        template,
                        text -> tokenizer.encode(text).length,
                        maxPositions,
                        config.sampling().maxNewTokens(),
                        taskLabel,
                        modelLabel);
            }
        } catch (IOException | RuntimeException e) {
            return Optional.of(
                    "model.source: cannot read the model's tokenizer to check the prompt lengths: " + e.getMessage());
        } finally {
            if (tmp != null) {
                deleteQuietly(tmp);
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | RuntimeException e) {
            log.debug("could not delete {}", dir, e);
        }
    }

    private static boolean isMoe(Path modelDir) {
        try {
            return dev.gspo.common.model.ModelConfig.read(
                                    modelDir.resolve(dev.gspo.common.model.PolicyModel.CONFIG_FILE))
                            .moe()
                    != null;
        } catch (RuntimeException e) {
            return true; // an unreadable config.json is reported when the run loads the model
        }
    }

    /**
     * Why the run's model cannot be trained here at all: its float32 weights do not fit in one safetensors body, which is
     * how they are published, served and checkpointed ({@link PolicyWeights#requireOneBody}); refused when the run is
     * created rather than when it first publishes.
     */
    private static Optional<String> oneBodyProblem(RunConfig config, ModelConfig model) {
        try {
            PolicyWeights.requireOneBody(model);
            return Optional.empty();
        } catch (InvalidModelException e) {
            return Optional.of((config.resumeFrom() != null ? "resumeFrom: " : "model.source: ") + e.getMessage());
        }
    }

    /** The config of the model the run will train (the checkpoint's for a resume); empty if it cannot be read here. */
    private static Optional<ModelConfig> modelConfig(RunConfig config) {
        try {
            if (config.resumeFrom() != null) {
                return Optional.of(ModelConfig.read(Path.of(config.resumeFrom()).resolve(PolicyModel.CONFIG_FILE)));
            }
            if (config.model().builtin()) {
                return Optional.of(BuiltinModel.config(config.model().source()));
            }
            return Optional.of(ModelConfig.read(Path.of(config.model().source()).resolve(PolicyModel.CONFIG_FILE)));
        } catch (RuntimeException e) {
            return Optional.empty(); // an unreadable config.json is reported when the run loads the model
        }
    }

    private void execute(Entry entry, RunCompletionHook after) {
        RunState outcome;
        try {
            entry.run.run();
            outcome = entry.run.stopRequested() ? RunState.STOPPED : RunState.COMPLETED;
        } catch (RuntimeException | Error e) {
            entry.error = e.getClass().getSimpleName() + ": " + e.getMessage();
            outcome = RunState.FAILED;
            log.error("run {} failed at step {}", entry.run.runId(), Math.max(entry.run.step(), entry.fromStep), e);
        }
        log.info(
                "run {} {} at step {}/{} (policy version {})",
                entry.run.runId(),
                outcome.wireName(),
                Math.max(entry.run.step(), entry.fromStep),
                entry.run.config().steps(),
                entry.run.policyVersion());
        try {
            if (after != null) {
                after.finished(entry.run, outcome);
            }
        } catch (RuntimeException e) {
            log.warn("after-run hook of {} failed", entry.run.runId(), e);
        }
        entry.run.ended(); // after the report: its write failure is still counted
        // the state changes last: whoever sees "completed" also finds the report and the final checkpoint
        synchronized (this) {
            entry.finishedAt = Instant.now();
            entry.state = outcome;
            record(entry);
        }
        entry.done.complete(outcome);
    }

    /** Saves a run's record; a record that cannot be written is logged (the run goes on, its files say the rest). */
    private synchronized void record(String runId) {
        Entry e = runs.get(runId);
        if (e != null) {
            record(e);
        }
    }

    private void record(Entry e) {
        try {
            registry.save(status(e));
        } catch (RuntimeException ex) {
            log.warn("run {}: {}", e.runId, ex.getMessage());
        }
    }

    /**
     * Saves the record of a completed step, then lets readers see the step: the record is written with the new step
     * first, so no reader is ever told of a step that is not on disk yet (a record that cannot be written is logged and
     * the step shown all the same: the run goes on, its files say the rest).
     */
    private synchronized void recordStep(String runId, long step) {
        Entry e = runs.get(runId);
        if (e == null) {
            return;
        }
        e.recordedStep = Math.max(e.recordedStep, step);
        record(e);
    }

    public synchronized RunStatus stop(String runId) {
        Entry e = entry(runId);
        if (e.state != RunState.RUNNING || e.run == null) {
            throw new RunConflictException("run " + runId + " is " + e.state.wireName() + ", not running");
        }
        e.run.requestStop();
        return status(e);
    }

    public synchronized RunStatus get(String runId) {
        return status(entry(runId));
    }

    /** Every run, newest first (by its first attempt's start). */
    public synchronized List<RunStatus> list() {
        return page(0, Integer.MAX_VALUE).runs();
    }

    /**
     * One page of the runs, newest first (by the first attempt's start, then by id): {@code limit} runs from
     * {@code offset}.
     */
    public synchronized Page page(int offset, int limit) {
        List<Entry> sorted = runs.values().stream()
                .sorted(Comparator.comparing(Entry::createdAt)
                        .thenComparing(e -> e.runId)
                        .reversed())
                .toList();
        int from = Math.min(offset, sorted.size());
        int to = (int) Math.min((long) from + limit, sorted.size());
        return new Page(
                sorted.subList(from, to).stream().map(this::status).toList(),
                sorted.size(),
                offset,
                limit,
                to < sorted.size() ? to : null);
    }

    /**
     * {@code GET /v1/runs}: a page of runs, newest first.
     *
     * @param total      how many runs there are
     * @param nextOffset the {@code offset} of the next page; absent on the last page
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public record Page(List<RunStatus> runs, int total, int offset, int limit, Integer nextOffset) {}

    /** A run's steps, oldest first; a step that an attempt repeated after a resume is listed once, as last trained. */
    public synchronized List<StepMetrics> history(String runId) {
        Entry e = entry(runId);
        if (e.run == null) {
            Map<Long, StepMetrics> byStep = new java.util.TreeMap<>();
            readHistory(runId).forEach(m -> byStep.put(m.step(), m));
            return List.copyOf(byStep.values());
        }
        List<StepMetrics> all = new ArrayList<>(e.earlierHistory);
        all.addAll(e.run.history());
        return all;
    }

    /** Completes with the final state when the run ends. */
    public synchronized CompletableFuture<RunState> completion(String runId) {
        return entry(runId).done;
    }

    /** The training run of a run's latest attempt, if this optimizer started it. */
    public synchronized Optional<TrainingRun> run(String runId) {
        return Optional.ofNullable(runs.get(runId)).map(e -> e.run);
    }

    /**
     * The newest checkpoint of a run (the checkpoint that {@code resumeFrom: <run id>} would continue from).
     *
     * @throws RunNotFoundException if no such run is known
     */
    public Optional<Path> latestCheckpoint(String runId) {
        synchronized (this) {
            entry(runId);
        }
        return newestCheckpoint(runId);
    }

    private Entry entry(String runId) {
        Entry e = runs.get(runId);
        if (e == null) {
            throw new RunNotFoundException(runId);
        }
        return e;
    }

    private RunStatus status(Entry e) {
        if (e.run == null) {
            return e.stored;
        }
        TrainingRun r = e.run;
        List<StepMetrics> h = r.history();
        // the loop adds a step's metrics before its record is saved: show the latest recorded one
        StepMetrics latest = e.earlierHistory.isEmpty() ? null : e.earlierHistory.getLast();
        for (int i = h.size() - 1; i >= 0; i--) {
            if (h.get(i).step() <= e.recordedStep) {
                latest = h.get(i);
                break;
            }
        }
        return new RunStatus(
                r.runId(),
                e.state,
                r.phase(),
                e.recordedStep,
                r.config().steps(),
                Math.max(r.policyVersion(), e.fromVersion),
                latest,
                r.warmStart(),
                finite(r.heldOutBefore()),
                finite(r.heldOutAfter()),
                r.lastCheckpoint() == null ? null : r.lastCheckpoint().toString(),
                r.checkpointError(),
                r.latestCheckpointStep() < 0 ? null : r.latestCheckpointStep(),
                r.checkpointStale(),
                r.lastWriteError(),
                r.writeFailures(),
                e.error,
                e.startedAt,
                e.finishedAt,
                r.config(),
                attempts(e),
                r.lastPublishError());
    }

    /** Every attempt of a run, the live one as it stands now. */
    private static List<RunAttempt> attempts(Entry e) {
        List<RunAttempt> all = new ArrayList<>(e.previous);
        if (e.run != null) {
            all.add(new RunAttempt(
                    e.previous.size() + 1,
                    e.state,
                    e.fromStep,
                    e.recordedStep,
                    e.run.config().steps(),
                    e.resumedFrom,
                    e.startedAt,
                    e.finishedAt,
                    e.error));
        }
        return all;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /**
     * The latest checkpoint of a run id under the checkpoint root, or a checkpoint directory (which must lie under the
     * checkpoint root or a model folder).
     */
    private Path resolveCheckpoint(String from) {
        if (RUN_ID.matcher(from).matches()) {
            Optional<Path> latest = newestCheckpoint(from);
            if (latest.isPresent()) {
                return latest.get();
            }
        }
        if (!RUN_ID.matcher(from).matches()) {
            AllowedPaths.Checked dir = paths.checkpointDir("resumeFrom", from);
            if (!dir.ok()) {
                throw new InvalidRunConfigException(List.of(dir.problem()));
            }
            if (Files.isRegularFile(dir.path().resolve(Checkpoint.STATE_FILE))) {
                return dir.path();
            }
        }
        throw new InvalidRunConfigException(List.of("resumeFrom: '" + from
                + "' is neither a checkpoint directory nor a run id with checkpoints under " + checkpointRoot));
    }

    /** The newest {@code step-*} folder under a run's {@code checkpoints}, if there is one. */
    private Optional<Path> newestCheckpoint(String runId) {
        Path checkpoints = checkpointRoot.resolve(runId).resolve("checkpoints");
        if (!RUN_ID.matcher(runId).matches() || !Files.isDirectory(checkpoints)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(checkpoints)) {
            return dirs.filter(p -> p.getFileName().toString().startsWith("step-"))
                    .filter(p -> Files.isRegularFile(p.resolve(Checkpoint.STATE_FILE)))
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        } catch (IOException e) {
            throw new InvalidRunConfigException(
                    List.of("resumeFrom: cannot list " + checkpoints + ": " + e.getMessage()));
        }
    }

    private List<StepMetrics> readHistory(String runId) {
        return MetricsHistoryFile.read(checkpointRoot.resolve(runId));
    }

    /**
     * Asks a running run to stop (it ends after its current step, with a checkpoint, and records itself as
     * {@code stopped}) and waits up to {@link #SHUTDOWN_WAIT} for it; a run still going after that is recorded as
     * interrupted by the next optimizer that reads the checkpoint folder.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (active != null && active.state == RunState.RUNNING && active.run != null) {
                active.run.requestStop();
            }
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(SHUTDOWN_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                log.warn("the active run did not stop within {}; it will read as interrupted", SHUTDOWN_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How long {@link #close()} waits for the active run to finish its step and checkpoint. */
    static final java.time.Duration SHUTDOWN_WAIT = java.time.Duration.ofSeconds(25);
}
