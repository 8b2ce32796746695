package dev.gspo.optimizer.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.FinishReason;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm start's stop rule on the built-in tiny model and 1-digit addition (cheap: a few dozen supervised steps of 16
 * demonstrations, checks on 32 training prompts): it stops at the first check that reaches the target, and runs to
 * its maximum when none does. Runs of one seed are deterministic, so the second run meets the same check accuracies.
 */
class WarmStartStopTest {

    @Test
    void theWarmStartStopsAtTheFirstCheckThatReachesTheTarget(@TempDir Path dir) {
        // one right answer of the 32 check prompts (3.1%) reaches 1%; the random model gets none, ~40 steps get one
        Map<Long, Double> checks = new LinkedHashMap<>();
        List<String> phases = new ArrayList<>();
        TrainingRun run = run(dir, 0.01, 400, checks, phases);
        WarmStartProgress ws = run.warmStart();
        long stop = ws.step();
        assertThat(ws.stoppedBecause()).isEqualTo(WarmStartProgress.TARGET_REACHED);
        assertThat(stop).isLessThan(400).isEqualTo(ws.accuracyStep());
        assertThat(run.supervisedLoss()).hasSize((int) stop);
        // a check every 8 steps up to the stop; every check but the last below the target, the last at or above it
        assertThat(checks.keySet())
                .containsExactlyElementsOf(LongStream.rangeClosed(1, stop / 8)
                        .map(i -> 8 * i)
                        .boxed()
                        .toList());
        assertThat(checks.get(stop)).isGreaterThanOrEqualTo(0.01).isEqualTo(ws.accuracy());
        assertThat(checks.entrySet()).filteredOn(e -> e.getKey() < stop).allMatch(e -> e.getValue() < 0.01);
        assertThat(ws.maxSteps()).isEqualTo(400);
        assertThat(ws.describe())
                .contains("stopped after " + stop + " of at most 400 supervised steps")
                .contains("reached the target 1.0%");
        // the status read warm-start during the warm start, gspo after; GSPO then ran its step
        assertThat(phases).startsWith("warm-start").endsWith("gspo");
        assertThat(run.history()).hasSize(1);
        assertThat(run.phase()).isEqualTo(TrainingRun.PHASE_GSPO);
    }

    @Test
    void aTargetNotReachedRunsEveryStep(@TempDir Path dir) {
        Map<Long, Double> checks = new LinkedHashMap<>();
        TrainingRun run = run(dir, 1.0, 16, checks, new ArrayList<>());
        assertThat(checks).containsOnlyKeys(8L, 16L);
        assertThat(run.supervisedLoss()).hasSize(16);
        assertThat(run.warmStart().stoppedBecause()).isEqualTo(WarmStartProgress.MAX_STEPS);
        assertThat(run.warmStart().describe()).contains("ran all 16 supervised steps without reaching the target");
    }

    @Test
    void withoutATargetTheWarmStartRunsEveryStepAndNeverChecks(@TempDir Path dir) {
        Map<Long, Double> checks = new LinkedHashMap<>();
        TrainingRun run = run(dir, null, 10, checks, new ArrayList<>());
        assertThat(checks).isEmpty();
        assertThat(run.warmStartChecks()).isZero();
        assertThat(run.supervisedLoss()).hasSize(10);
        assertThat(run.warmStart().stoppedBecause()).isEqualTo(WarmStartProgress.MAX_STEPS);
        assertThat(run.warmStart().describe()).contains("ran its 10 supervised steps (no target accuracy set)");
    }

    private static TrainingRun run(Path dir, Double target, int steps, Map<Long, Double> checks, List<String> phases) {
        RunConfig config = RunConfigJson.read(
                        """
                {"task":{"name":"addition","minDigits":1,"maxDigits":1},"seed":3,"steps":1,
                 "sampling":{"promptsPerStep":2,"groupSize":2,"maxNewTokens":3},
                 "optimizer":{"miniBatches":1},"eval":{"size":0},"checkpointing":{"every":0},
                 "warmStart":{"steps":%d,"batchSize":16,"learningRate":0.01,"checkEvery":8,"checkSize":32%s}}""".formatted(steps, target == null ? "" : ",\"targetAccuracy\":" + target))
                .withDefaults();
        TrainingRun[] self = new TrainingRun[1];
        self[0] = new TrainingRun("r", config, dir, ANSWERS_ZERO, SINK, new RunListener() {
            @Override
            public void onSupervisedStep(long step, long total, double loss) {
                phases.add(self[0].phase());
                assertThat(self[0].warmStart().step()).isEqualTo(step - 1);
            }

            @Override
            public void onWarmStartAccuracy(long step, long total, double accuracy, double target) {
                checks.put(step, accuracy);
            }

            @Override
            public void onStep(StepMetrics metrics) {
                phases.add(self[0].phase());
            }
        });
        self[0].run();
        return self[0];
    }

    /** Every response "0": the one GSPO step needs rollouts, not good ones. */
    static final RolloutSource ANSWERS_ZERO = (prompts, groupSize, sampling, seed, minVersion) -> {
        List<RolloutBatch.Group> groups = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            List<Completion> samples = new ArrayList<>();
            for (int j = 0; j < groupSize; j++) {
                samples.add(new Completion(new int[] {1, 2}, "0\n", new float[] {-1f, -1f}, FinishReason.STOP));
            }
            groups.add(new RolloutBatch.Group(new int[] {3, 4, 5}, minVersion, samples));
        }
        return new RolloutBatch(minVersion, groups);
    };

    static final PolicySink SINK = new PolicySink() {
        @Override
        public PublishResult publish(long version, byte[] safetensors, String sha256) {
            return new PublishResult(version, safetensors.length, Duration.ZERO, List.of());
        }

        @Override
        public long highestReplicaVersion() {
            return 0;
        }
    };
}
