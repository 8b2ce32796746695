package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.scoring.TeacherForcedScorer;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.RolloutReplica;
import dev.gspo.optimizer.support.ServiceProcess;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many runs, one fleet: two optimizer processes (real {@code java -jar} processes), each training its own LoRA adapter
 * ({@code lora.adapter}) over the same base with its own seed, against one rollout-service that serves both adapters at
 * once, rows of both in one decode batch. Every sample a run trained on had log-probs equal to the trainer's teacher
 * forcing under that run's own adapter and version (each step's {@code mismatchMax} ≤ 1e-5); afterwards fresh samples
 * of each adapter equal teacher forcing under its own final checkpoint and not under the other's. Only adapters were
 * published: the fleet already served the runs' base.
 */
class ManyRunsOneFleetProcessIT {
    private static final String CONTROL = "many-runs-control-token";
    private static final int STEPS = 3;

    @Test
    void twoRunsTrainTheirOwnAdaptersOnOneReplicaAndEverySampleIsItsOwn(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base");
        try (NDManager manager = NDManager.newBaseManager()) {
            PolicyModel m = BuiltinModel.create(base, 4, manager);
            m.close();
            m.tokenizer().close();
        }
        try (RolloutReplica replica =
                        RolloutReplica.start(RolloutReplica.PUSH_TOKEN, "--gspo.rollout.model-dir=" + base);
                ServiceProcess a = optimizer(dir, "a", replica.url());
                ServiceProcess b = optimizer(dir, "b", replica.url())) {
            String runA = start(a.url(), "run-a", 11, base);
            String runB = start(b.url(), "run-b", 12, base);
            JsonNode doneA = awaitEnd(a.url(), runA);
            JsonNode doneB = awaitEnd(b.url(), runB);
            assertThat(doneA.get("state").asText()).as("%s", doneA).isEqualTo("completed");
            assertThat(doneB.get("state").asText()).as("%s", doneB).isEqualTo("completed");

            for (var run : List.of(Map.entry(a.url(), runA), Map.entry(b.url(), runB))) {
                JsonNode steps = Http.get(run.getKey().resolve("/v1/runs/" + run.getValue() + "/metrics"))
                        .json()
                        .get("steps");
                assertThat(steps).hasSize(STEPS);
                for (JsonNode step : steps) {
                    assertThat(step.get("mismatchMax").asDouble())
                            .as("%s step %s: its samples under its own adapter and version", run, step.get("step"))
                            .isLessThanOrEqualTo(1e-5);
                }
            }

            // the replica serves both, each at its run's last version, over the base it started with
            JsonNode adapters =
                    Http.get(replica.url().resolve("/v1/adapters")).json().get("adapters");
            Map<String, JsonNode> byName = new HashMap<>();
            adapters.forEach(n -> byName.put(n.get("name").asText(), n));
            assertThat(byName).containsOnlyKeys("run-a", "run-b");
            assertThat(byName.get("run-a").get("version").asLong())
                    .isEqualTo(doneA.get("policyVersion").asLong());
            assertThat(byName.get("run-b").get("version").asLong())
                    .isEqualTo(doneB.get("policyVersion").asLong());
            assertThat(Http.get(replica.url().resolve("/v1/policy"))
                            .json()
                            .get("version")
                            .asLong())
                    .as("no full push: the fleet served the runs' base already")
                    .isZero();
            // only adapters were sent: the first publish and one per step, nothing else
            assertThat(publishedAdapterBytes(a.url(), "run-a"))
                    .isEqualTo((STEPS + 1) * byName.get("run-a").get("bytes").asLong());
            assertThat(publishedAdapterBytes(b.url(), "run-b"))
                    .isEqualTo((STEPS + 1) * byName.get("run-b").get("bytes").asLong());

            // fresh samples of each adapter, scored under both runs' final adapters
            try (NDManager manager = NDManager.newBaseManager()) {
                PolicyModel plain = PolicyModel.load(base, manager);
                try (PolicyModel underA = plain.withLora(Checkpoint.loraAdapters(
                                Path.of(doneA.get("lastCheckpoint").asText()), plain.config(), manager));
                        PolicyModel underB = plain.withLora(Checkpoint.loraAdapters(
                                Path.of(doneB.get("lastCheckpoint").asText()), plain.config(), manager))) {
                    JsonNode samplesA = rollout(replica.url(), "run-a");
                    JsonNode samplesB = rollout(replica.url(), "run-b");
                    assertThat(samplesA.get("adapter").asText()).isEqualTo("run-a");
                    assertThat(samplesA.get("policyVersion").asLong())
                            .isEqualTo(doneA.get("policyVersion").asLong());
                    assertThat(samplesB.get("adapter").asText()).isEqualTo("run-b");
                    assertThat(worst(underA, samplesA, manager)).isLessThanOrEqualTo(1e-5);
                    assertThat(worst(underB, samplesB, manager)).isLessThanOrEqualTo(1e-5);
                    assertThat(worst(underB, samplesA, manager))
                            .as("run-a's samples are not run-b's")
                            .isGreaterThan(1e-4);
                    assertThat(worst(underA, samplesB, manager))
                            .as("run-b's samples are not run-a's")
                            .isGreaterThan(1e-4);
                }
                plain.close();
                plain.tokenizer().close();
            }
        }
    }

    private static ServiceProcess optimizer(Path dir, String name, URI replica) throws java.io.IOException {
        return ServiceProcess.start(
                "optimizer-service",
                dir,
                "--gspo.optimizer.rollout-urls=" + replica,
                "--gspo.optimizer.push-token=" + RolloutReplica.PUSH_TOKEN,
                "--gspo.optimizer.control-token=" + CONTROL,
                "--gspo.optimizer.checkpoint-dir=" + dir.resolve("runs-" + name),
                "--gspo.optimizer.model-dirs=" + dir,
                "--gspo.optimizer.request-timeout=60s",
                "--gspo.optimizer.publish-timeout=30s");
    }

    private static String start(URI api, String adapter, long seed, Path base) {
        String body = """
                {"steps": %d, "seed": %d, "model": {"source": "%s"},
                 "rewards": [{"fn": "regex", "pattern": "[13579]"}],
                 "lora": {"rank": 4, "alpha": 16, "adapter": "%s"},
                 "sampling": {"promptsPerStep": 4, "groupSize": 4},
                 "optimizer": {"learningRate": 0.05, "miniBatches": 1},
                 "warmStart": {"steps": 0},
                 "eval": {"size": 0},
                 "checkpointing": {"every": %d}}""".formatted(STEPS, seed, base, adapter, STEPS);
        Http.Response started = Http.post(api.resolve("/v1/runs"), body, CONTROL);
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        return started.json().get("runId").asText();
    }

    private static JsonNode awaitEnd(URI api, String runId) {
        await().atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> !Http.get(api.resolve("/v1/runs/" + runId))
                        .json()
                        .get("state")
                        .asText()
                        .equals("running"));
        return Http.get(api.resolve("/v1/runs/" + runId)).json();
    }

    private static JsonNode rollout(URI replica, String adapter) {
        Http.Response r = Http.post(replica.resolve("/v1/rollouts"), """
                {"prompts": [{"text": "12+34="}, {"text": "7+5="}], "groupSize": 4, "adapter": "%s",
                 "sampling": {"maxNewTokens": 6, "temperature": 1.0, "seed": 3}}""".formatted(adapter), null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    /** The largest |returned − teacher-forced| log-prob over every sample of a response, under {@code model}. */
    private static double worst(PolicyModel model, JsonNode response, NDManager manager) {
        double worst = 0;
        for (JsonNode g : response.get("groups")) {
            int[] prompt = ints(g.get("promptTokenIds"));
            for (JsonNode s : g.get("samples")) {
                int[] tokens = ints(s.get("tokenIds"));
                try (NDScope ignored = new NDScope()) {
                    float[] tf = TeacherForcedScorer.score(
                                    model.transformer(), manager, List.of(prompt), List.of(tokens), new float[] {1f})
                            .logprobs()
                            .toFloatArray();
                    for (int t = 0; t < tokens.length; t++) {
                        worst = Math.max(
                                worst, Math.abs(tf[t] - s.get("logprobs").get(t).asDouble()));
                    }
                }
            }
        }
        return worst;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static long publishedAdapterBytes(URI api, String adapter) {
        return Http.get(api.resolve("/actuator/prometheus"))
                .body()
                .lines()
                .filter(l -> l.startsWith("gspo_weights_publish_adapter_bytes_total{")
                        && l.contains("adapter=\"" + adapter + "\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
