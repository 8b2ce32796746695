package dev.gspo.optimizer.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.chat.ChatTemplate;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
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
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts, tracks and stops training runs: at most one runs at a time (on a thread of its own: training steps
 * serialise on DJL's single gradient collector anyway), every run is remembered with its per-step history.
 *
 * <p>Preparing a run (reading and verifying a checkpoint, creating the task, which may read a dataset, checking the
 * model directory) happens without the lock that {@link #list()} and {@link #get} take, so the API keeps answering
 * while a large task is built; a second start meanwhile is a conflict. Every file a config names must lie in the
 * folders {@link AllowedPaths} allows.
 */
public final class RunService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunService.class);
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
    /** A run id as {@code resumeFrom} may name one: a single folder name under the checkpoint root. */
    private static final Pattern RUN_ID = Pattern.compile("(?!\\.\\.?$)[A-Za-z0-9._-]{1,200}");

    private static final DateTimeFormatter ID_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    /** Everything known about one run. */
    private static final class Entry {
        final TrainingRun run;
        final Instant startedAt = Instant.now();
        final List<StepMetrics> earlierHistory;
        volatile RunState state = RunState.RUNNING;
        volatile Instant finishedAt;
        volatile String error;
        final CompletableFuture<RunState> done = new CompletableFuture<>();

        Entry(TrainingRun run, List<StepMetrics> earlierHistory) {
            this.run = run;
            this.earlierHistory = earlierHistory;
        }
    }

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
    private Entry active;
    private boolean preparing;

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
                RemoteRewards.unavailable());
    }

    /**
     * @param paths the folders a config may name files in
     * @param tasks creates a run's task from its spec ({@link TaskSpec#create})
     * @param remoteRewards the clients of {@code http} reward functions, checked before a run starts
     */
    public RunService(
            Path checkpointRoot,
            RolloutSource rollouts,
            PolicySink publisher,
            Function<String, RunListener> listeners,
            AllowedPaths paths,
            Retention retention,
            Function<TaskSpec, Task> tasks,
            RemoteRewards remoteRewards) {
        this.checkpointRoot = checkpointRoot;
        this.rollouts = rollouts;
        this.publisher = publisher;
        this.listeners = listeners;
        this.paths = paths;
        this.retention = retention;
        this.tasks = tasks;
        this.remoteRewards = remoteRewards;
    }

    /** Validates and starts a run; throws {@link RunConflictException} while another one runs or is being prepared. */
    public RunStatus start(RunConfig requested, RunCompletionHook after) {
        synchronized (this) {
            if (active != null && active.state == RunState.RUNNING) {
                throw new RunConflictException("run " + active.run.runId() + " is still running; stop it first");
            }
            if (preparing) {
                throw new RunConflictException("another run is being prepared; try again once it has started");
            }
            preparing = true;
        }
        try {
            Prepared p = prepare(requested);
            synchronized (this) {
                TrainingRun run = new TrainingRun(
                        p.runId(),
                        p.config(),
                        checkpointRoot.resolve(p.runId()),
                        rollouts,
                        publisher,
                        listeners.apply(p.runId()),
                        new RunOptions(
                                p.task(),
                                retention.keepLast(),
                                retention.keepBest(),
                                heldOut(p.earlier()),
                                remoteRewards));
                Entry entry = new Entry(run, p.earlier());
                runs.put(p.runId(), entry);
                active = entry;
                executor.submit(() -> execute(entry, after));
                return status(entry);
            }
        } finally {
            synchronized (this) {
                preparing = false;
            }
        }
    }

    /** A run ready to start: its id, its config with defaults, its task, the history of the run it resumes. */
    private record Prepared(String runId, RunConfig config, Task task, List<StepMetrics> earlier) {}

    /** Everything a start reads from disk, outside the lock; throws {@link InvalidRunConfigException} with every problem. */
    private Prepared prepare(RunConfig requested) {
        String runId;
        RunConfig config;
        List<StepMetrics> earlier = List.of();
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
            problems.addAll(remoteRewards.check(config.rewards())); // reward servers: last, once all else is valid
        }
        if (!problems.isEmpty()) {
            throw new InvalidRunConfigException(problems);
        }
        return new Prepared(runId, config, task, earlier);
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
                        s.promptsPerStep(), s.groupSize(), s.temperature(), s.maxNewTokens(), List.of(Task.STOP));
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
                saved.resumeFrom());
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

    private void execute(Entry entry, RunCompletionHook after) {
        RunState outcome;
        try {
            entry.run.run();
            outcome = entry.run.stopRequested() ? RunState.STOPPED : RunState.COMPLETED;
        } catch (RuntimeException | Error e) {
            entry.error = e.getClass().getSimpleName() + ": " + e.getMessage();
            outcome = RunState.FAILED;
            log.error("run {} failed at step {}", entry.run.runId(), entry.run.step(), e);
        }
        log.info(
                "run {} {} at step {}/{} (policy version {})",
                entry.run.runId(),
                outcome.wireName(),
                entry.run.step(),
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
        entry.finishedAt = Instant.now();
        entry.state = outcome;
        entry.done.complete(outcome);
    }

    public synchronized RunStatus stop(String runId) {
        Entry e = entry(runId);
        if (e.state != RunState.RUNNING) {
            throw new RunConflictException("run " + runId + " is " + e.state.wireName() + ", not running");
        }
        e.run.requestStop();
        return status(e);
    }

    public synchronized RunStatus get(String runId) {
        return status(entry(runId));
    }

    public synchronized List<RunStatus> list() {
        return runs.values().stream().map(this::status).toList();
    }

    public synchronized List<StepMetrics> history(String runId) {
        Entry e = entry(runId);
        List<StepMetrics> all = new ArrayList<>(e.earlierHistory);
        all.addAll(e.run.history());
        return all;
    }

    /** Completes with the final state when the run ends. */
    public synchronized CompletableFuture<RunState> completion(String runId) {
        return entry(runId).done;
    }

    public synchronized Optional<TrainingRun> run(String runId) {
        return Optional.ofNullable(runs.get(runId)).map(e -> e.run);
    }

    private Entry entry(String runId) {
        Entry e = runs.get(runId);
        if (e == null) {
            throw new RunNotFoundException(runId);
        }
        return e;
    }

    private RunStatus status(Entry e) {
        TrainingRun r = e.run;
        List<StepMetrics> h = r.history();
        StepMetrics latest =
                h.isEmpty() ? (e.earlierHistory.isEmpty() ? null : e.earlierHistory.getLast()) : h.getLast();
        return new RunStatus(
                r.runId(),
                e.state,
                r.step(),
                r.config().steps(),
                r.policyVersion(),
                latest,
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
                r.config());
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /**
     * The latest checkpoint of a run id under the checkpoint root, or a checkpoint directory (which must lie under the
     * checkpoint root or a model folder).
     */
    private Path resolveCheckpoint(String from) {
        Path checkpoints = checkpointRoot.resolve(from).resolve("checkpoints");
        if (RUN_ID.matcher(from).matches() && Files.isDirectory(checkpoints)) {
            try (Stream<Path> dirs = Files.list(checkpoints)) {
                Optional<Path> latest = dirs.filter(
                                p -> p.getFileName().toString().startsWith("step-"))
                        .max(Comparator.comparing(p -> p.getFileName().toString()));
                if (latest.isPresent()) {
                    return latest.get();
                }
            } catch (IOException e) {
                throw new InvalidRunConfigException(
                        List.of("resumeFrom: cannot list " + checkpoints + ": " + e.getMessage()));
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

    private List<StepMetrics> readHistory(String runId) {
        return MetricsHistoryFile.read(checkpointRoot.resolve(runId));
    }

    @Override
    public void close() {
        synchronized (this) {
            if (active != null && active.state == RunState.RUNNING) {
                active.run.requestStop();
            }
        }
        executor.shutdown();
    }
}
