package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.common.train.TrainerState;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.ServiceProcess;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected into real processes (the services' executable jars on 127.0.0.1), run by failsafe after packaging:
 * a rollout replica killed with SIGKILL mid-run, the optimizer itself killed with SIGKILL mid-step and restarted with
 * {@code resumeFrom} (the restarted optimizer lists the run as interrupted; the resume is its second attempt), and the
 * dead replica restarted and brought back to the current version.
 */
class ProcessFaultsIT {
    private static final String PUSH = "fault-push-token";
    private static final String CONTROL = "fault-control-token";

    @Test
    void trainingSurvivesKilledReplicasAndAKilledOptimizer(@TempDir Path dir) throws Exception {
        Path checkpoints = dir.resolve("runs");
        try (ServiceProcess a = ServiceProcess.start("rollout-service", dir, "--gspo.rollout.push-token=" + PUSH);
                ServiceProcess b = ServiceProcess.start("rollout-service", dir, "--gspo.rollout.push-token=" + PUSH)) {
            String[] optimizerArgs = {
                "--gspo.optimizer.rollout-urls=" + a.url() + "," + b.url(),
                "--gspo.optimizer.push-token=" + PUSH,
                "--gspo.optimizer.control-token=" + CONTROL,
                "--gspo.optimizer.checkpoint-dir=" + checkpoints,
                "--gspo.optimizer.max-attempts=2",
                "--gspo.optimizer.publish-timeout=10s",
                "--gspo.optimizer.request-timeout=60s"
            };
            String runId;
            long stepAtOptimizerKill;
            try (ServiceProcess optimizer = ServiceProcess.start("optimizer-service", dir, optimizerArgs)) {
                Http.Response started = Http.post(optimizer.url().resolve("/v1/runs"), """
                        {"promptsPerStep":4,"groupSize":4,"miniBatches":2,"maxNewTokens":5,"steps":200,
                         "evalEvery":1000,"evalSize":8,"checkpointEvery":2,"learningRate":1e-4,"seed":9}""", CONTROL);
                assertThat(started.status()).as(started.body()).isEqualTo(201);
                runId = started.json().get("runId").asText();
                awaitStep(optimizer.url(), runId, 2);

                b.kill9(); // a replica dies in the middle of the run
                long atKill = step(optimizer.url(), runId);
                awaitStep(optimizer.url(), runId, atKill + 3);
                assertThat(state(optimizer.url(), runId)).isEqualTo("running");

                stepAtOptimizerKill = step(optimizer.url(), runId);
                optimizer.kill9(); // the trainer dies in the middle of a step
            }
            // whatever the kill interrupted, the latest checkpoint directory is whole
            Path latest;
            try (Stream<Path> dirs = Files.list(checkpoints.resolve(runId).resolve("checkpoints"))) {
                latest = dirs.filter(p -> p.getFileName().toString().startsWith("step-"))
                        .max(Path::compareTo)
                        .orElseThrow();
            }
            TrainerState saved = Checkpoint.read(latest); // verifies every checksum
            // checkpoints every 2 steps: the step seen before the kill has one at most 2 steps back (the one after it
            // may have been cut short); the run may have gone on between that read and the kill
            assertThat(saved.step()).isGreaterThanOrEqualTo(stepAtOptimizerKill - 2);

            b.restart(); // the replica comes back empty (version 0)
            try (ServiceProcess optimizer = ServiceProcess.start("optimizer-service", dir, optimizerArgs)) {
                // the restarted optimizer knows the run, and that it was cut short
                JsonNode interrupted =
                        Http.get(optimizer.url().resolve("/v1/runs/" + runId)).json();
                assertThat(interrupted.get("state").asText())
                        .as(interrupted.toString())
                        .isEqualTo("failed");
                assertThat(interrupted.get("error").asText()).startsWith("interrupted:");
                assertThat(interrupted.get("step").asLong()).isGreaterThanOrEqualTo(stepAtOptimizerKill);
                // a step's checkpoint is written before the step is recorded, so the newest whole checkpoint is at
                // most one step past the record the restarted optimizer read back
                assertThat(saved.step())
                        .isLessThanOrEqualTo(interrupted.get("step").asLong() + 1);
                assertThat(interrupted.get("attempts")).hasSize(1);
                Http.Response resumed = Http.post(
                        optimizer.url().resolve("/v1/runs"),
                        "{\"resumeFrom\":\"" + runId + "\",\"steps\":" + (saved.step() + 3) + "}",
                        CONTROL);
                assertThat(resumed.status()).as(resumed.body()).isEqualTo(201);
                assertThat(resumed.json().get("step").asLong()).isEqualTo(saved.step());
                assertThat(resumed.json().get("attempts")).hasSize(2);
                assertThat(resumed.json().get("attempts").get(0).get("state").asText())
                        .isEqualTo("failed");
                await().atMost(Duration.ofMinutes(4))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> !state(optimizer.url(), runId).equals("running"));
                JsonNode done =
                        Http.get(optimizer.url().resolve("/v1/runs/" + runId)).json();
                assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("completed");
                JsonNode history = Http.get(optimizer.url().resolve("/v1/runs/" + runId + "/metrics"))
                        .json()
                        .get("steps");
                List<Long> steps = new java.util.ArrayList<>();
                history.forEach(m -> steps.add(m.get("step").asLong()));
                assertThat(steps)
                        .as("earlier steps kept, then continued after the checkpoint")
                        .startsWith(1L, 2L)
                        .endsWith(saved.step() + 1, saved.step() + 2, saved.step() + 3);
                long finalVersion = done.get("policyVersion").asLong();
                for (URI replica : List.of(a.url(), b.url())) {
                    assertThat(Http.get(replica.resolve("/v1/policy"))
                                    .json()
                                    .get("version")
                                    .asLong())
                            .as("replica %s on the final version", replica)
                            .isEqualTo(finalVersion);
                }
            }
        }
    }

    private static void awaitStep(URI optimizer, String runId, long step) {
        await().atMost(Duration.ofMinutes(4))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> step(optimizer, runId) >= step);
    }

    private static long step(URI optimizer, String runId) {
        return Http.get(optimizer.resolve("/v1/runs/" + runId))
                .json()
                .get("step")
                .asLong();
    }

    private static String state(URI optimizer, String runId) {
        return Http.get(optimizer.resolve("/v1/runs/" + runId))
                .json()
                .get("state")
                .asText();
    }
}
