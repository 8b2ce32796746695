package dev.gspo.optimizer.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.common.train.TrainerState;
import dev.gspo.optimizer.loop.PolicySink;
import dev.gspo.optimizer.loop.RolloutSource;
import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.loop.TrainingRun;
import dev.gspo.optimizer.reward.RemoteRewards;
import dev.gspo.optimizer.runconfig.InvalidRunConfigException;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
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
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts, tracks and stops training runs: at most one runs at a time (on a thread of its own: training steps
 * serialise on DJL's single gradient collector anyway), every run is remembered with its per-step history.
 */
public final class RunService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunService.class);
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
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
    private Entry active;

    /** @param listeners the listener for a run id (metrics, progress log, history file) */
    public RunService(
            Path checkpointRoot,
            RolloutSource rollouts,
            PolicySink publisher,
            Function<String, RunListener> listeners) {
        this(checkpointRoot, rollouts, publisher, listeners, RemoteRewards.unavailable());
    }

    /** @param remoteRewards the clients of {@code http} reward functions, checked before a run starts */
    public RunService(
            Path checkpointRoot,
            RolloutSource rollouts,
            PolicySink publisher,
            Function<String, RunListener> listeners,
            RemoteRewards remoteRewards) {
        this.checkpointRoot = checkpointRoot;
        this.rollouts = rollouts;
        this.publisher = publisher;
        this.listeners = listeners;
        this.remoteRewards = remoteRewards;
    }

    /** Validates and starts a run; throws {@link RunConflictException} while another one is running. */
    public synchronized RunStatus start(RunConfig requested, RunCompletionHook after) {
        if (active != null && active.state == RunState.RUNNING) {
            throw new RunConflictException("run " + active.run.runId() + " is still running; stop it first");
        }
        String runId;
        RunConfig config;
        List<StepMetrics> earlier = List.of();
        if (requested.resumeFrom() != null && !requested.resumeFrom().isBlank()) {
            Path dir = resolveCheckpoint(requested.resumeFrom());
            TrainerState state = Checkpoint.read(dir); // verifies every checksum before anything is loaded
            RunConfig saved = RunConfigJson.read(state.config()); // nested, or flat from earlier versions
            config = (requested.steps() != null ? saved.withSteps(requested.steps()) : saved)
                    .withDefaults()
                    .withResumeFrom(dir.toString());
            runId = state.runId();
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
        if (problems.isEmpty()) {
            try {
                config.task().create();
            } catch (IllegalArgumentException e) {
                problems.add("task: " + e.getMessage());
            }
            String model = config.model().source();
            if (!config.model().builtin() && !Files.isDirectory(Path.of(model))) {
                problems.add("model.source: '" + model + "' is neither 'builtin', 'moe' nor a model directory");
            } else if (config.objective().routingReplay()
                    && config.resumeFrom() == null
                    && !config.model().builtin()
                    && !isMoe(Path.of(model))) {
                problems.add("objective.routingReplay: the model in " + model + " has no MoE layers");
            }
        }
        if (problems.isEmpty()) {
            problems.addAll(remoteRewards.check(config.rewards())); // reward servers: last, once all else is valid
        }
        if (!problems.isEmpty()) {
            throw new InvalidRunConfigException(problems);
        }
        Path runDir = checkpointRoot.resolve(runId);
        TrainingRun run =
                new TrainingRun(runId, config, runDir, rollouts, publisher, listeners.apply(runId), remoteRewards);
        Entry entry = new Entry(run, earlier);
        runs.put(runId, entry);
        active = entry;
        executor.submit(() -> execute(entry, after));
        return status(entry);
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
                e.error,
                e.startedAt,
                e.finishedAt,
                r.config());
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** A checkpoint directory as given, or the latest checkpoint of a run id under the checkpoint root. */
    private Path resolveCheckpoint(String from) {
        Path direct = Path.of(from);
        if (Files.isRegularFile(direct.resolve(Checkpoint.STATE_FILE))) {
            return direct;
        }
        Path checkpoints = checkpointRoot.resolve(from).resolve("checkpoints");
        if (!from.contains("/") && Files.isDirectory(checkpoints)) {
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
