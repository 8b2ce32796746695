package dev.gspo.optimizer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gspo.common.task.Task;
import dev.gspo.common.task.TaskSpec;
import dev.gspo.optimizer.loop.PolicySink;
import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.loop.RolloutSource;
import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.reward.RemoteRewards;
import dev.gspo.optimizer.runconfig.InvalidRunConfigException;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
