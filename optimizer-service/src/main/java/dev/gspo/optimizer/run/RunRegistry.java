package dev.gspo.optimizer.run;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.common.train.TrainerState;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs on disk: {@code <checkpoint-dir>/<run id>/run.json} holds a run's status with every attempt, rewritten
 * whole (a temporary file, then an atomic rename) when an attempt starts, after every step and when it ends, so a
 * reader never sees half a record. The optimizer reads every record at start-up; a record still saying
 * {@code running} belonged to an optimizer that stopped meanwhile, and is marked failed ({@code interrupted: …}) at
 * the latest step its {@code metrics.jsonl} shows.
 *
 * <p>A run folder without {@code run.json} but with checkpoints (written before the optimizer kept records) is
 * recorded from its newest checkpoint: {@code completed} if that is the last step, else {@code failed} with an error
 * that says its end is unknown.
 *
 * <p>The file is the status as {@code GET /v1/runs/{id}} shows it, with the config in its nested form
 * ({@link RunConfigJson}) and {@code "format": 1}; unknown fields are ignored, so a newer optimizer's records stay
 * readable.
 */
final class RunRegistry {
    static final String FILE = "run.json";
    private static final Logger log = LoggerFactory.getLogger(RunRegistry.class);
    private static final ObjectMapper JSON = JsonMapper.builder()
            .findAndAddModules()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS) // ISO-8601, to the nanosecond
            .addMixIn(RunStatus.class, WithoutConfig.class)
            .build();

    @JsonIgnoreProperties(value = "config", allowGetters = false)
    private interface WithoutConfig {}

    private final Path root;

    RunRegistry(Path root) {
        this.root = root;
    }

    /** Writes a run's record: whole, or not at all (the previous record stays). */
    void save(RunStatus status) {
        Path dir = root.resolve(status.runId());
        try {
            Files.createDirectories(dir);
            ObjectNode node = JSON.valueToTree(status);
            node.put("format", 1);
            node.set("config", RunConfigJson.write(status.config()));
            Path tmp = Files.createTempFile(dir, "." + FILE, ".tmp");
            try {
                Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
                Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every run recorded under the root; a run left {@code running} is marked interrupted (and saved so). A record
     * that cannot be read is logged and skipped: one damaged file must not keep the optimizer from starting.
     */
    List<RunStatus> load() {
        List<RunStatus> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        List<Path> files;
        List<Path> unrecorded;
        try (Stream<Path> dirs = Files.list(root)) {
            List<Path> all = dirs.filter(Files::isDirectory).sorted().toList();
            files = all.stream()
                    .map(d -> d.resolve(FILE))
                    .filter(Files::isRegularFile)
                    .toList();
            unrecorded =
                    all.stream().filter(d -> !Files.exists(d.resolve(FILE))).toList();
        } catch (IOException e) {
            log.warn("cannot list the runs under {}: {}", root, e.getMessage());
            return out;
        }
        for (Path dir : unrecorded) {
            fromCheckpoint(dir).ifPresent(status -> {
                out.add(status);
                try {
                    save(status);
                } catch (UncheckedIOException e) {
                    log.warn("cannot record run {}: {}", status.runId(), e.getMessage());
                }
            });
        }
        for (Path file : files) {
            try {
                RunStatus status = read(file);
                if (status.state() == RunState.RUNNING) {
                    status = interrupted(status, file);
                    try {
                        save(status);
                    } catch (UncheckedIOException e) {
                        log.warn("run {} was interrupted; cannot record it: {}", status.runId(), e.getMessage());
                    }
                    log.warn("run {}: {}", status.runId(), status.error());
                }
                out.add(status);
            } catch (IOException | RuntimeException e) {
                log.warn(
                        "skipping the unreadable run record {}: {}",
                        file,
                        e.getClass().getSimpleName());
            }
        }
        return out;
    }

    /**
     * A run folder from before run records existed: its newest checkpoint's {@code trainer_state.json} (read, not
     * verified: the weights are checked when a resume loads them) says its id, config and step.
     */
    private static java.util.Optional<RunStatus> fromCheckpoint(Path runDir) {
        Path checkpoints = runDir.resolve("checkpoints");
        if (!Files.isDirectory(checkpoints)) {
            return java.util.Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(checkpoints)) {
            java.util.Optional<Path> newest = dirs.filter(
                            d -> d.getFileName().toString().startsWith("step-"))
                    .filter(d -> Files.isRegularFile(d.resolve(Checkpoint.STATE_FILE)))
                    .max(java.util.Comparator.comparing(d -> d.getFileName().toString()));
            if (newest.isEmpty()) {
                return java.util.Optional.empty();
            }
            TrainerState state =
                    JSON.readValue(newest.get().resolve(Checkpoint.STATE_FILE).toFile(), TrainerState.class);
            if (!runDir.getFileName().toString().equals(state.runId())) {
                return java.util.Optional.empty();
            }
            RunConfig config = RunConfigJson.read(state.config()).withDefaults();
            List<StepMetrics> history = MetricsHistoryFile.read(runDir);
            StepMetrics last = history.stream()
                    .filter(m -> m.step() == state.step())
                    .reduce((a, b) -> b)
                    .orElse(null);
            boolean complete = state.step() >= config.steps();
            Instant at = Files.getLastModifiedTime(newest.get().resolve(Checkpoint.STATE_FILE))
                    .toInstant();
            String error = complete
                    ? null
                    : "recorded before this optimizer kept run records: its newest checkpoint is at step "
                            + state.step() + " of " + config.steps() + " and how it ended is unknown; resume it with"
                            + " {\"resumeFrom\": \"" + state.runId() + "\"}";
            RunState outcome = complete ? RunState.COMPLETED : RunState.FAILED;
            RunAttempt attempt = new RunAttempt(1, outcome, 0, state.step(), config.steps(), null, null, at, error);
            return java.util.Optional.of(new RunStatus(
                    state.runId(),
                    outcome,
                    null, // the phase it ended in is not recorded
                    state.step(),
                    config.steps(),
                    state.policyVersion(),
                    last,
                    null, // nor its warm start
                    null,
                    null,
                    newest.get().toString(),
                    null,
                    state.step(),
                    false,
                    null,
                    0,
                    error,
                    null,
                    at,
                    config,
                    List.of(attempt),
                    null));
        } catch (IOException | RuntimeException e) {
            log.warn(
                    "skipping the run folder {}: its checkpoint is unreadable ({})",
                    runDir,
                    e.getClass().getSimpleName());
            return java.util.Optional.empty();
        }
    }

    private static RunStatus read(Path file) throws IOException {
        JsonNode node = JSON.readTree(file.toFile());
        RunStatus status = JSON.treeToValue(node, RunStatus.class);
        if (status.runId() == null
                || !status.runId().equals(file.getParent().getFileName().toString())) {
            throw new IOException("the record's runId does not match its folder");
        }
        return status.withConfig(RunConfigJson.read(node.get("config")));
    }

    /** The step and the time its history file last saw, which may be later than the record. */
    private static RunStatus interrupted(RunStatus status, Path file) throws IOException {
        Path runDir = file.getParent();
        List<StepMetrics> history = MetricsHistoryFile.read(runDir);
        StepMetrics last = history.isEmpty() ? null : history.getLast();
        long step = Math.max(status.step(), last == null ? 0 : last.step());
        Instant seen = Files.getLastModifiedTime(file).toInstant();
        Path metrics = runDir.resolve(MetricsHistoryFile.FILE);
        if (Files.isRegularFile(metrics)) {
            Instant m = Files.getLastModifiedTime(metrics).toInstant();
            seen = m.isAfter(seen) ? m : seen;
        }
        return status.interrupted(step, last != null && last.step() >= status.step() ? last : null, seen);
    }
}
