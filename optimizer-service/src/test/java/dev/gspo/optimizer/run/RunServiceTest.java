package dev.gspo.optimizer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.task.Task;
import dev.gspo.common.task.TaskSpec;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.optimizer.loop.PolicySink;
import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.loop.RolloutSource;
import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.reward.RemoteRewards;
import dev.gspo.optimizer.runconfig.InvalidRunConfigException;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunServiceTest {
    private static final RolloutSource NO_FLEET = (prompts, groupSize, sampling, seed, minVersion) -> {
        throw new IllegalStateException("no fleet in this test");
    };
    private static final PolicySink NO_SINK = new PolicySink() {
        @Override
        public PublishResult publish(long version, byte[] safetensors, String sha256) {
            throw new IllegalStateException("no fleet in this test");
        }

        @Override
        public long highestReplicaVersion() {
            return 0;
        }
    };

    @TempDir
    Path dir;

    /** Building a large task (a 3-million-problem held-out set took 10 s) must not block the run list meanwhile. */
    @Test
    void theRunListAnswersWhileARunIsPrepared() throws Exception {
        CountDownLatch preparing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Function<TaskSpec, Task> slowTasks = spec -> {
            preparing.countDown();
            await(release);
            throw new IllegalArgumentException("heldOutSize: too large for this test");
        };
        try (RunService runs = service(AllowedPaths.checkpointsOnly(dir), slowTasks);
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<Throwable> start = CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            runs.start(RunConfig.empty(), null);
                            return null;
                        } catch (RuntimeException e) {
                            return e;
                        }
                    },
                    threads);
            assertThat(preparing.await(10, TimeUnit.SECONDS)).isTrue();

            long t0 = System.nanoTime();
            List<RunStatus> listed =
                    CompletableFuture.supplyAsync(runs::list, threads).get(2, TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(listed).isEmpty();
            assertThat(took).as("GET /v1/runs while a run is prepared").isLessThan(Duration.ofSeconds(1));
            // validation comes first: another start meanwhile gets its own problems, not a conflict
            assertThatThrownBy(() -> runs.start(RunConfigJson.read("{\"steps\":0}"), null))
                    .isInstanceOf(InvalidRunConfigException.class)
                    .hasMessageContaining("steps");
            assertThat(start).isNotDone();

            release.countDown();
            assertThat(start.get(10, TimeUnit.SECONDS))
                    .isInstanceOf(InvalidRunConfigException.class)
                    .hasMessageContaining("heldOutSize");
            assertThat(runs.list()).isEmpty();
        }
    }

    @Test
    void filesOutsideTheAllowedFoldersAreRefusedForDataModelAndResume() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        AllowedPaths paths = new AllowedPaths(List.of(data), List.of(), dir.resolve("runs"));
        try (RunService runs = service(paths, TaskSpec::create)) {
            for (String body : List.of(
                    "{\"task\":\"jsonl\",\"taskParams\":{\"path\":\"/etc/passwd\"}}",
                    "{\"task\":\"jsonl\",\"taskParams\":{\"path\":\"" + data + "/../../../etc/passwd\"}}",
                    "{\"task\":\"jsonl\",\"taskParams\":{\"path\":\"" + data
                            + "/x.jsonl\",\"heldOutPath\":\"/etc/hosts\"}}",
                    "{\"model\":\"/etc\"}",
                    "{\"resumeFrom\":\"/etc\"}",
                    "{\"resumeFrom\":\"../../etc\"}")) {
                RunConfig config = RunConfigJson.read(body);
                assertThatThrownBy(() -> runs.start(config, null))
                        .as(body)
                        .isInstanceOf(InvalidRunConfigException.class)
                        .hasMessageMatching("(?s).*(outside|neither a checkpoint directory).*")
                        .hasMessageNotContaining("root:");
            }
        }
    }

    @Test
    void aDatasetLineThatIsNotJsonIsNamedNotRepeated() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        String secret = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        Path file = Files.writeString(data.resolve("key.jsonl"), secret + "\n");
        try (RunService runs =
                service(new AllowedPaths(List.of(data), List.of(), dir.resolve("runs")), TaskSpec::create)) {
            RunConfig config = RunConfigJson.read("{\"task\":{\"name\":\"jsonl\",\"path\":\"" + file + "\"}}");
            assertThatThrownBy(() -> runs.start(config, null))
                    .isInstanceOf(InvalidRunConfigException.class)
                    .hasMessageContaining("line 1: invalid JSON")
                    .hasMessageNotContaining(secret.substring(0, 8));
        }
    }

    /**
     * A checkpoint from before {@code sampling.stop} existed ended every response at a newline, a dataset's too: its
     * resume keeps that stop, although a new run of the same dataset now stops at the EOS only.
     */
    @Test
    void aCheckpointWithoutStopStringsResumesWithTheNewlineItAlwaysUsed() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path file = Files.writeString(data.resolve("qa.jsonl"), "{\"prompt\":\"1+1=\",\"answer\":\"2\"}\n");
        String task = "{\"name\":\"jsonl\",\"path\":\"" + file + "\"}";
        String saved = "{\"task\":" + task + ",\"steps\":10,\"seed\":3,"
                + "\"sampling\":{\"promptsPerStep\":4,\"groupSize\":2,\"temperature\":1.0,\"maxNewTokens\":8}}";
        writeCheckpoint(dir.resolve("runs/run-old/checkpoints/step-000004"), "run-old", 4, saved);
        // the dataset itself is not what this test is about: a built-in task stands in for it (no tokenizer needed)
        Function<TaskSpec, Task> tasks = spec -> TaskSpec.defaults().create();
        try (RunService runs = service(new AllowedPaths(List.of(data), List.of(), dir.resolve("runs")), tasks)) {
            RunService.DryRun resume = runs.dryRun(RunConfigJson.read("{\"resumeFrom\":\"run-old\"}"));
            RunService.DryRun fresh = runs.dryRun(RunConfigJson.read(saved));

            assertThat(resume.resumes()).isEqualTo("run-old");
            assertThat(resume.resumesAtStep()).isEqualTo(4);
            assertThat(resume.config().sampling().stop()).containsExactly(Task.STOP);
            assertThat(resume.config().sampling().maxNewTokens()).isEqualTo(8);
            assertThat(resume.config().sampling().groupSize()).isEqualTo(2);
            assertThat(fresh.config().sampling().stop())
                    .as("a new run of a dataset")
                    .isEmpty();
        }
    }

    /** A checkpoint as {@code Checkpoint.write} leaves it: placeholder model files, each with its checksum. */
    private static void writeCheckpoint(Path checkpoint, String runId, long step, String configJson) throws Exception {
        Files.createDirectories(checkpoint);
        ObjectMapper json = new ObjectMapper();
        ObjectNode files = json.createObjectNode();
        for (String f : List.of(
                PolicyModel.CONFIG_FILE,
                PolicyModel.WEIGHTS_FILE,
                PolicyModel.TOKENIZER_FILE,
                Checkpoint.OPTIMIZER_FILE)) {
            byte[] bytes = ("placeholder " + f).getBytes(StandardCharsets.UTF_8);
            Files.write(checkpoint.resolve(f), bytes);
            files.put(
                    f,
                    HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
        }
        ObjectNode state = json.createObjectNode()
                .put("runId", runId)
                .put("step", step)
                .put("policyVersion", step)
                .put("optimizerStep", step)
                .put("seed", 3);
        state.set("config", json.readTree(configJson));
        state.set("files", files);
        Files.writeString(checkpoint.resolve(Checkpoint.STATE_FILE), json.writeValueAsString(state));
    }

    private RunService service(AllowedPaths paths, Function<TaskSpec, Task> tasks) {
        return new RunService(
                dir.resolve("runs"),
                NO_FLEET,
                NO_SINK,
                id -> new RunListener() {},
                paths,
                RunService.Retention.ALL,
                tasks,
                RemoteRewards.unavailable(),
                dev.gspo.optimizer.loop.FleetModelCheck.NONE);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
