package dev.gspo.optimizer.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.train.Checkpoint;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pipelined steps ({@code sampling.maxStaleness}, {@link RolloutPipeline}) inside {@link TrainingRun}, against a
 * scripted replica whose pushes arrive late: a published version reaches it only {@link #PUSH_DELAY} after
 * {@code publish} returned, and a request naming a newer {@code minPolicyVersion} than it serves waits until it has
 * caught up (as the fleet client brings a replica that answered 409 up to date). A loop that asked for too old a
 * version would be served the replica's lagging one and train on samples staler than the bound.
 */
@Timeout(120)
class PipelinedStepsTest {
    private static final int P = 4;
    private static final int G = 4;
    private static final Duration PUSH_DELAY = Duration.ofMillis(40);

    private final ScheduledExecutorService pushes = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stopPushes() {
        pushes.shutdownNow();
    }

    @Test
    void noStepTrainsOnSamplesStalerThanTheBoundWhenPushesReachTheReplicaLate(@TempDir Path dir) {
        for (int bound : new int[] {0, 1, 2}) {
            LateReplica replica = new LateReplica();
            TrainingRun run = run(dir.resolve("s" + bound), bound, false, 4, replica, null);
            assertThat(run.history()).hasSize(4);
            for (StepMetrics m : run.history()) {
                // the pipeline fills first: step k is drawn from the run's first version until k − 1 reaches the bound
                assertThat(m.stale())
                        .as("staleness of step %d with maxStaleness %d", m.step(), bound)
                        .isLessThanOrEqualTo(bound)
                        .isEqualTo(Math.min(m.step() - 1, bound));
            }
        }
    }

    @Test
    void aPipelinedRunDrawsTheSamePromptsAndSeedsAsAnOnPolicyOneWithDynamicSampling(@TempDir Path dir) {
        LateReplica onPolicy = new LateReplica();
        LateReplica pipelined = new LateReplica();
        TrainingRun a = run(dir.resolve("a"), 0, true, 4, onPolicy, null);
        TrainingRun b = run(dir.resolve("b"), 1, true, 4, pipelined, null);
        assertThat(onPolicy.requests()).hasSizeGreaterThan(4); // extra rounds were drawn
        assertThat(pipelined.calls()).isEqualTo(onPolicy.calls());
        for (int i = 0; i < 4; i++) {
            StepMetrics x = a.history().get(i);
            StepMetrics y = b.history().get(i);
            // dropped groups never reach the loss: only the 2-token answers of informative groups are trained on
            assertThat(y.trainTokens()).isEqualTo(2L * G * P).isEqualTo(x.trainTokens());
            assertThat(y.extraRollouts()).isEqualTo(x.extraRollouts());
            assertThat(y.stale()).isEqualTo(Math.min(i, 1));
        }
    }

    @Test
    void aStoppedPipelinedRunDropsItsPrefetchedSamplesAndResumesFromItsCheckpoint(@TempDir Path dir) {
        LateReplica first = new LateReplica();
        TrainingRun stopped = run(dir.resolve("run"), 1, false, 5, first, 2L);
        assertThat(stopped.history()).extracting(StepMetrics::step).containsExactly(1L, 2L);
        Path checkpoint = stopped.lastCheckpoint();
        assertThat(Checkpoint.read(checkpoint).step()).isEqualTo(2);
        // step 3's samples were requested while step 2 trained (and step 4's, if the stop came after its request):
        // they were not trained on
        assertThat(first.calls()).hasSizeBetween(3, 4);

        LateReplica second = new LateReplica();
        RunConfig resumed = config(1, false, 5).withResumeFrom(checkpoint.toString());
        TrainingRun run = new TrainingRun("r", resumed, dir.resolve("run"), second, second, new RunListener() {});
        run.run();
        assertThat(run.history()).extracting(StepMetrics::step).containsExactly(3L, 4L, 5L);
        // a resumed run fills its pipeline again from its own first version
        assertThat(run.history()).extracting(StepMetrics::stale).containsExactly(0L, 1L, 1L);
        // the dropped step is drawn again exactly: same prompts, same rollout seed
        assertThat(second.calls().getFirst()).isEqualTo(first.calls().get(2));
    }

    private TrainingRun run(Path dir, int bound, boolean dynamic, int steps, LateReplica replica, Long stopAfter) {
        TrainingRun[] self = new TrainingRun[1];
        self[0] = new TrainingRun("r", config(bound, dynamic, steps), dir, replica, replica, new RunListener() {
            @Override
            public void onStep(StepMetrics m) {
                if (stopAfter != null && m.step() == stopAfter) {
                    self[0].requestStop();
                }
            }
        });
        self[0].run();
        return self[0];
    }

    private static RunConfig config(int bound, boolean dynamic, int steps) {
        return RunConfigJson.read("""
                {"task":{"name":"addition","minDigits":1,"maxDigits":1},"seed":3,"steps":%d,
                 "sampling":{"promptsPerStep":%d,"groupSize":%d,"maxNewTokens":5,"maxStaleness":%d,
                             "dynamicSampling":%s,"maxOverSample":8},
                 "optimizer":{"miniBatches":1},"eval":{"size":0},"checkpointing":{"every":0}}""".formatted(steps, P, G, bound, dynamic)).withDefaults();
    }

    /**
     * A replica (both halves: the fleet's rollouts and the publisher's pushes) whose pushes land {@link #PUSH_DELAY}
     * late. Even sums: G right answers of 5 tokens (all-equal rewards); odd sums: right and wrong answers of 2 tokens.
     */
    private final class LateReplica implements RolloutSource, PolicySink {
        record Request(long minPolicyVersion, long served) {}

        record Call(List<String> prompts, long seed) {}

        private long serving;
        private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
        private final List<Call> calls = Collections.synchronizedList(new ArrayList<>());

        @Override
        public PublishResult publish(long version, byte[] safetensors, String sha256) {
            pushes.schedule(() -> arrive(version), PUSH_DELAY.toMillis(), TimeUnit.MILLISECONDS);
            return new PublishResult(version, safetensors.length, Duration.ZERO, List.of());
        }

        private synchronized void arrive(long version) {
            serving = Math.max(serving, version);
            notifyAll();
        }

        @Override
        public synchronized long highestReplicaVersion() {
            return serving;
        }

        @Override
        public RolloutBatch sample(
                List<String> prompts,
                int groupSize,
                dev.gspo.common.decode.SamplingParams sampling,
                long seed,
                long minPolicyVersion) {
            long version = awaitVersion(minPolicyVersion);
            requests.add(new Request(minPolicyVersion, version));
            calls.add(new Call(List.copyOf(prompts), seed));
            return ScriptedGroups.evenSumsAllRightOddSumsMixed(prompts, groupSize, version);
        }

        /** What the replica serves once it has at least {@code min} (a replica behind is brought up to date). */
        private synchronized long awaitVersion(long min) {
            while (serving < min) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
            return serving;
        }

        List<Request> requests() {
            return List.copyOf(requests);
        }

        List<Call> calls() {
            return List.copyOf(calls);
        }
    }
}
