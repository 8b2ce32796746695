package dev.gspo.optimizer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.gspo.optimizer.loop.PolicySink;
import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.loop.RolloutSource;
import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.WarmStartProgress;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/runs/{id}} during the warm start (issue: it showed {@code step 0, latest null}): the phase, step k of
 * at most N, the loss and the latest check accuracy; after it, why it stopped.
 */
class RunStatusWarmStartTest {
    private static final ObjectMapper JSON =
            JsonMapper.builder().findAndAddModules().build();
    private static final RolloutSource NO_FLEET = (prompts, groupSize, sampling, seed, minVersion) -> {
        throw new IllegalStateException("the warm start never samples");
    };
    private static final PolicySink SINK = new PolicySink() {
        @Override
        public PublishResult publish(long version, byte[] safetensors, String sha256) {
            return new PublishResult(version, safetensors.length, Duration.ZERO, List.of());
        }

        @Override
        public long highestReplicaVersion() {
            return 0;
        }
    };

    @Test
    void theStatusShowsTheWarmStartPhaseItsStepLossAndCheckAccuracy(@TempDir Path dir) throws Exception {
        try (RunService runs = new RunService(dir, NO_FLEET, SINK, id -> new RunListener() {})) {
            RunStatus started = runs.start(RunConfigJson.read("""
                            {"task":{"name":"addition","minDigits":1,"maxDigits":1},"steps":1,
                             "eval":{"size":0},"checkpointing":{"every":0},
                             "warmStart":{"steps":100000,"batchSize":4,"targetAccuracy":1.0,"checkEvery":3,"checkSize":8}}"""), null);
            RunStatus during = await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(20))
                    .until(
                            () -> runs.get(started.runId()),
                            s -> s.warmStart() != null && s.warmStart().accuracy() != null);
            assertThat(during.state()).isEqualTo(RunState.RUNNING);
            assertThat(during.phase()).isEqualTo("warm-start");
            WarmStartProgress ws = during.warmStart();
            assertThat(ws.step()).isGreaterThanOrEqualTo(3);
            assertThat(ws.maxSteps()).isEqualTo(100000);
            assertThat(ws.loss()).isNotNull().isPositive();
            assertThat(ws.accuracy()).isBetween(0.0, 1.0);
            assertThat(ws.accuracyStep()).isPositive().matches(s -> s % 3 == 0);
            assertThat(ws.targetAccuracy()).isEqualTo(1.0);
            assertThat(ws.stoppedBecause()).isNull();
            JsonNode json = JSON.valueToTree(during);
            assertThat(json.path("phase").asText()).isEqualTo("warm-start");
            assertThat(json.path("warmStart").path("step").asLong()).isEqualTo(ws.step());
            assertThat(json.path("warmStart").path("maxSteps").asLong()).isEqualTo(100000);
            assertThat(json.path("warmStart").path("loss").isNumber()).isTrue();
            assertThat(json.path("warmStart").path("accuracy").isNumber()).isTrue();

            runs.stop(started.runId());
            runs.completion(started.runId()).get(60, TimeUnit.SECONDS);
            RunStatus after = runs.get(started.runId());
            assertThat(after.phase()).isEqualTo("gspo");
            assertThat(after.warmStart().stoppedBecause()).isEqualTo(WarmStartProgress.STOPPED);
            assertThat(after.warmStart().step()).isLessThan(100000);
        }
    }

    @Test
    void aRunWithoutAWarmStartIsInItsGspoPhaseAndHasNoWarmStartRecord(@TempDir Path dir) throws Exception {
        try (RunService runs = new RunService(dir, NO_FLEET, SINK, id -> new RunListener() {})) {
            RunStatus started = runs.start(RunConfigJson.read("""
                            {"task":{"name":"addition","minDigits":1,"maxDigits":1},"steps":1,
                             "eval":{"size":0},"checkpointing":{"every":0}}"""), null);
            runs.completion(started.runId()).get(60, TimeUnit.SECONDS);
            RunStatus after = runs.get(started.runId());
            assertThat(after.phase()).isEqualTo("gspo");
            assertThat(after.warmStart()).isNull();
            assertThat(JSON.valueToTree(after).has("warmStart")).isFalse();
        }
    }
}
