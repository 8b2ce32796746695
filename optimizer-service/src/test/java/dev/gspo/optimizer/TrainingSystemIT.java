package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.common.train.TrainerState;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.PrometheusServer;
import dev.gspo.optimizer.support.RolloutReplica;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The whole system in one JVM over real HTTP: two rollout-service replicas on random ports and the optimizer-service,
 * training the built-in model on the addition task with small steps.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.push-token=" + RolloutReplica.PUSH_TOKEN,
            "gspo.optimizer.control-token=" + TrainingSystemIT.CONTROL_TOKEN,
            "gspo.optimizer.request-timeout=30s",
            "gspo.optimizer.publish-timeout=10s",
            "gspo.optimizer.max-attempts=2",
            "gspo.optimizer.run-metrics-linger=10m", // a finished run's series stay while the test reads them
            "logging.level.gspo.progress=WARN"
        })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainingSystemIT {
    static final String CONTROL_TOKEN = "it-control-token";
    private static final Path CHECKPOINTS = tempDir();
    private static final List<RolloutReplica> REPLICAS = new java.util.ArrayList<>();
    private static final String SMALL_RUN = """
            {"promptsPerStep":4,"groupSize":4,"miniBatches":2,"maxNewTokens":6,"evalSize":16,"evalEvery":2,
             "learningRate":1e-3,"clipLow":0.05,"clipHigh":0.05,"seed":5,"sftSteps":3,"sftBatchSize":8%s}""";

    /** The run of the first test, whose series the metric tests read. */
    private static String firstRunId;

    @Value("${local.server.port}")
    int port;

    @DynamicPropertySource
    static void fleet(DynamicPropertyRegistry registry) {
        if (REPLICAS.isEmpty()) {
            REPLICAS.add(RolloutReplica.start());
            REPLICAS.add(RolloutReplica.start());
        }
        registry.add(
                "gspo.optimizer.rollout-urls",
                () -> REPLICAS.get(0).url() + "," + REPLICAS.get(1).url());
        registry.add("gspo.optimizer.checkpoint-dir", CHECKPOINTS::toString);
    }

    @AfterAll
    static void stopReplicas() {
        REPLICAS.forEach(RolloutReplica::close);
    }

    @Test
    @Order(1)
    void aShortRunCompletesAndEveryReplicaServesTheTrainersFinalWeights() throws IOException {
        String runId = startRun(SMALL_RUN.formatted(",\"steps\":3"));
        firstRunId = runId;
        JsonNode done = awaitState(runId, "completed");
        long finalVersion = done.get("policyVersion").asLong();

        JsonNode steps =
                Http.get(optimizer("/v1/runs/" + runId + "/metrics")).json().get("steps");
        assertThat(steps).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(steps.get(i).get("step").asLong()).isEqualTo(i + 1);
            // one new version per step, after the run's initial publish
            assertThat(steps.get(i).get("policyVersion").asLong()).isEqualTo(finalVersion - 2 + i);
            assertThat(steps.get(i).get("mismatchMax").asDouble()).isLessThan(1e-3);
            assertThat(steps.get(i).get("stale").asLong()).isZero();
        }
        Path checkpoint = Path.of(done.get("lastCheckpoint").asText());
        TrainerState state = Checkpoint.read(checkpoint);
        assertThat(state.step()).isEqualTo(3);
        assertThat(state.policyVersion()).isEqualTo(finalVersion);
        String trainerSha = sha256(checkpoint.resolve("model.safetensors"));
        for (RolloutReplica replica : REPLICAS) {
            JsonNode policy = Http.get(replica.url().resolve("/v1/policy")).json();
            assertThat(policy.get("version").asLong()).isEqualTo(finalVersion);
            assertThat(policy.get("sha256").asText()).isEqualTo(trainerSha);
        }
        assertThat(CHECKPOINTS.resolve(runId).resolve("report").resolve("report.md"))
                .exists();
        assertThat(CHECKPOINTS.resolve(runId).resolve("report").resolve("reward.png"))
                .exists();
    }

    @Test
    @Order(2)
    void prometheusExposesEveryTrainingMetricWithFiniteValues() {
        String scrape = Http.get(optimizer("/actuator/prometheus")).body();
        String run = "run=\"" + firstRunId + "\"";
        // each series: its name, then labels that must all be on it (in any order)
        for (String[] series : List.of(
                new String[] {"gspo_train_clip_fraction", run, "level=\"sequence\"", "side=\"total\""},
                new String[] {"gspo_train_clip_fraction", run, "level=\"token\"", "side=\"low\""},
                new String[] {"gspo_train_clip_fraction", run, "level=\"token\"", "side=\"high\""},
                new String[] {"gspo_train_reward_mean", run},
                new String[] {"gspo_train_reward_std", run},
                new String[] {"gspo_train_accuracy", run},
                new String[] {"gspo_train_importance_ratio", run, "stat=\"max\""},
                new String[] {"gspo_train_kl", run},
                new String[] {"gspo_train_entropy", run},
                new String[] {"gspo_train_grad_norm", run},
                new String[] {"gspo_train_loss", run},
                new String[] {"gspo_train_logprob_mismatch", run, "stat=\"mean\""},
                new String[] {"gspo_train_steps_total", run},
                new String[] {"gspo_train_step_duration_seconds_count", run},
                new String[] {"gspo_train_step_reward_count", run, "sign=\"positive\""},
                new String[] {"gspo_train_step_clip_fraction_sum", run, "level=\"sequence\""},
                new String[] {"gspo_train_tokens_total", run},
                new String[] {"gspo_policy_version"},
                new String[] {"gspo_weights_publish_duration_seconds_count"},
                new String[] {"gspo_weights_publish_bytes_total"},
                new String[] {"gspo_weights_publish_failures_total"},
                new String[] {"gspo_train_heldout_accuracy", run},
                new String[] {"gspo_train_phase_duration_seconds", run, "phase=\"rollout\""},
                new String[] {"gspo_train_tokens_per_second", run, "kind=\"train\""})) {
            StringBuilder regex =
                    new StringBuilder("^").append(Pattern.quote(series[0])).append("\\{");
            for (int i = 1; i < series.length; i++) {
                regex.append("(?=[^}]*").append(Pattern.quote(series[i])).append(")");
            }
            Matcher m =
                    Pattern.compile(regex + "[^}]*} (\\S+)$", Pattern.MULTILINE).matcher(scrape);
            assertThat(m.find())
                    .as("series %s in the scrape", String.join(" ", series))
                    .isTrue();
            double value = Double.parseDouble(m.group(1));
            assertThat(value).as(String.join(" ", series)).isFinite();
        }
        assertThat(scrape)
                .contains("gspo_train_steps_total{application=\"optimizer-service\"," + run + "} 3.0")
                .doesNotContain("NaN");
    }

    /**
     * Every series the Grafana dashboard and the alert rules may use ({@code deploy/metrics-contract.txt}) is in the
     * real scrape of the service that exports it, with every label value the contract lists.
     */
    @Test
    @Order(2)
    void everyMetricOfTheDashboardContractIsExportedByTheRealServices() throws IOException {
        Path contract = Path.of("..", "deploy", "metrics-contract.txt");
        assertThat(contract).exists();
        String optimizerScrape = Http.get(optimizer("/actuator/prometheus")).body();
        String rolloutScrape =
                Http.get(REPLICAS.get(0).url().resolve("/actuator/prometheus")).body();
        int checked = 0;
        for (String line : Files.readAllLines(contract)) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith("@")) {
                continue;
            }
            String[] fields = trimmed.split("\\s+");
            String name = fields[0];
            if (Arrays.asList(fields).subList(2, fields.length).contains("adapter")) {
                // a series per named adapter exists only while one is loaded (replica) or published (optimizer);
                // this system serves none: NamedAdaptersIT and ManyRunsOneFleetProcessIT scrape those series
                continue;
            }
            for (String app : fields[1].split(",")) {
                String scrape = app.equals("optimizer-service") ? optimizerScrape : rolloutScrape;
                assertThat(scrape)
                        .as("%s exported by %s", name, app)
                        .containsPattern("(?m)^" + Pattern.quote(name) + "\\{[^}]*application=\"" + app + "\"");
                for (int i = 2; i < fields.length; i++) {
                    if (fields[i].indexOf('=') < 0) { // a label with any value (run)
                        assertThat(scrape)
                                .as("%s{%s=…} exported by %s", name, fields[i], app)
                                .containsPattern("(?m)^" + Pattern.quote(name) + "\\{[^}]*" + fields[i] + "=\"");
                        continue;
                    }
                    String label = fields[i].substring(0, fields[i].indexOf('='));
                    for (String value :
                            fields[i].substring(fields[i].indexOf('=') + 1).split("\\|")) {
                        assertThat(scrape)
                                .as("%s{%s=%s} exported by %s", name, label, value, app)
                                .containsPattern(
                                        "(?m)^" + Pattern.quote(name) + "\\{[^}]*" + label + "=\"" + value + "\"");
                    }
                }
                checked++;
            }
        }
        assertThat(checked).as("series checked").isGreaterThan(20);
    }

    /** A real Prometheus scrapes both services and answers PromQL for the clip fraction and the reward. */
    @Test
    @Order(2)
    void aRealPrometheusScrapesTheServicesAndAnswersClipFractionAndRewardQueries() throws Exception {
        try (PrometheusServer prometheus = PrometheusServer.start(List.of(
                new String[] {"optimizer", "127.0.0.1:" + port},
                new String[] {"rollout", REPLICAS.get(0).url().getAuthority()}))) {
            for (String query : List.of(
                    "gspo_train_clip_fraction{level=\"sequence\",side=\"total\"}",
                    "gspo_train_reward_mean",
                    "max by (application) (gspo_policy_version)")) {
                await().atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> {
                            Http.Response r = Http.get(prometheus.query(query));
                            assertThat(r.status()).isEqualTo(200);
                            JsonNode result = r.json().get("data").get("result");
                            assertThat(result).as(query).isNotEmpty();
                            for (JsonNode series : result) {
                                assertThat(Double.parseDouble(
                                                series.get("value").get(1).asText()))
                                        .as(query)
                                        .isFinite();
                            }
                        });
            }
            JsonNode versions = Http.get(prometheus.query("max by (application) (gspo_policy_version)"))
                    .json()
                    .get("data")
                    .get("result");
            assertThat(versions).as("both services report their policy version").hasSize(2);
        }
    }

    @Test
    @Order(3)
    void invalidRunConfigsAreProblemsThatNameTheField() {
        Http.Response r = Http.post(
                optimizer("/v1/runs"), "{\"groupSize\":1,\"lossMode\":\"ppo\",\"learningRate\":-1}", CONTROL_TOKEN);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.body()).contains("groupSize", "lossMode", "learningRate");
        r = Http.post(optimizer("/v1/runs"), "{\"steps\":\"many\"}", CONTROL_TOKEN);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("steps").doesNotContain("Exception", "at dev.gspo");
        r = Http.post(optimizer("/v1/runs"), "{\"stepz\":3}", CONTROL_TOKEN);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("stepz");
        r = Http.post(optimizer("/v1/runs"), "{\"task\":\"chess\"}", CONTROL_TOKEN);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.body()).contains("task", "chess");
        r = Http.post(optimizer("/v1/runs"), "{}", "wrong-token");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.body()).doesNotContain(CONTROL_TOKEN);
        assertThat(Http.get(optimizer("/v1/runs/run-none")).status()).isEqualTo(404);
        Http.Response api = Http.get(optimizer("/v3/api-docs"));
        assertThat(api.status()).isEqualTo(200);
        assertThat(api.body()).contains("/v1/runs/{id}/stop");
    }

    /**
     * Pipelined steps over real HTTP (sampling.maxStaleness 1, two replicas): the fleet samples step k+1 while step k
     * trains, so after the first step every step trains on samples exactly one version old, never more; a setting
     * that would take the ratio against the wrong policy is refused before anything runs.
     */
    @Test
    @Order(3)
    void aPipelinedRunTrainsOnSamplesOneVersionOldAndRefusesARatioAgainstTheWrongPolicy() throws IOException {
        Http.Response r = Http.post(
                optimizer("/v1/runs"),
                "{\"sampling\":{\"maxStaleness\":1},\"objective\":{\"oldLogprobs\":\"recompute\"}}",
                CONTROL_TOKEN);
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.json().get("detail").asText())
                .isEqualTo("sampling.maxStaleness: 1 needs π_old from the policy that sampled: objective.oldLogprobs "
                        + "rollout, or recompute with objective.tisCap; got oldLogprobs recompute without tisCap (the "
                        + "ratio would be taken against the trainer's current policy)");
        r = Http.post(optimizer("/v1/runs"), "{\"sampling\":{\"maxStaleness\":9}}", CONTROL_TOKEN);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("detail").asText()).isEqualTo("sampling.maxStaleness: must be between 0 and 4, got 9");

        String runId = startRun(SMALL_RUN.formatted(",\"steps\":4,\"sampling\":{\"maxStaleness\":1}"));
        JsonNode done = awaitState(runId, "completed");
        JsonNode steps =
                Http.get(optimizer("/v1/runs/" + runId + "/metrics")).json().get("steps");
        assertThat(steps).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(steps.get(i).get("stale").asLong()).as("step %d", i + 1).isEqualTo(Math.min(i, 1));
        }
        long finalVersion = done.get("policyVersion").asLong();
        for (RolloutReplica replica : REPLICAS) {
            assertThat(Http.get(replica.url().resolve("/v1/policy"))
                            .json()
                            .get("version")
                            .asLong())
                    .isEqualTo(finalVersion);
        }
        assertThat(Files.readString(CHECKPOINTS.resolve(runId).resolve("report").resolve("report.md")))
                .contains("Pipelined steps (sampling.maxStaleness 1)", "| stale |");
        assertThat(Http.get(optimizer("/actuator/prometheus")).body())
                .containsPattern("gspo_train_step_staleness_max\\{[^}]*run=\"" + runId + "\"[^}]*} 1.0");
    }

    @Test
    @Order(4)
    void stoppedRunResumesAtTheNextStepFromItsCheckpoint() throws IOException {
        String runId = startRun(SMALL_RUN.formatted(",\"steps\":40"));
        await().atMost(Duration.ofMinutes(3))
                .until(() -> status(runId).get("step").asLong() >= 1);
        assertThat(Http.post(optimizer("/v1/runs"), "{}", CONTROL_TOKEN).status())
                .as("one run at a time")
                .isEqualTo(409);
        assertThat(Http.post(optimizer("/v1/runs/" + runId + "/stop"), "", CONTROL_TOKEN)
                        .status())
                .isEqualTo(200);
        JsonNode stopped = awaitState(runId, "stopped");
        long stoppedAt = stopped.get("step").asLong();
        Path checkpoint = Path.of(stopped.get("lastCheckpoint").asText());
        TrainerState state = Checkpoint.read(checkpoint);
        assertThat(state.step()).isEqualTo(stoppedAt);
        String weightsAtStop = sha256(checkpoint.resolve("model.safetensors"));

        String resumed = startRun("{\"resumeFrom\":\"" + runId + "\",\"steps\":" + (stoppedAt + 1) + "}");
        assertThat(resumed).isEqualTo(runId);
        // the resumed run first publishes exactly the checkpoint's weights
        await().atMost(Duration.ofMinutes(1))
                .until(() -> Http.get(REPLICAS.get(0).url().resolve("/v1/policy"))
                                .json()
                                .get("sha256")
                                .asText()
                                .equals(weightsAtStop)
                        || status(runId).get("state").asText().equals("completed"));
        JsonNode done = awaitState(runId, "completed");
        JsonNode steps =
                Http.get(optimizer("/v1/runs/" + runId + "/metrics")).json().get("steps");
        assertThat(steps.get(steps.size() - 1).get("step").asLong()).isEqualTo(stoppedAt + 1);
        TrainerState end = Checkpoint.read(Path.of(done.get("lastCheckpoint").asText()));
        assertThat(end.step()).isEqualTo(stoppedAt + 1);
        assertThat(end.optimizerStep()).as("AdamW continues its own step count").isEqualTo(state.optimizerStep() + 2);
    }

    @Test
    @Order(5)
    void aReplicaThatDiesMidRunIsWorkedAroundAndBroughtUpToDateWhenItComesBack() {
        // evalEvery replaced, not repeated: a repeated key is a 400. Far more steps than the test needs: it stops the
        // run itself once the replica is back; with 40 steps an idle machine finished the run (0.1 s a step) before
        // the stop arrived
        String runId = startRun(
                SMALL_RUN.replace("\"evalEvery\":2", "\"evalEvery\":100").formatted(",\"steps\":1000"));
        await().atMost(Duration.ofMinutes(3))
                .until(() -> status(runId).get("step").asLong() >= 1);
        RolloutReplica dying = REPLICAS.get(1);
        dying.stop();
        long stepAtKill = status(runId).get("step").asLong();
        await().atMost(Duration.ofMinutes(3))
                .until(() -> status(runId).get("step").asLong() >= stepAtKill + 2);
        assertThat(status(runId).get("state").asText()).isEqualTo("running");
        RolloutReplica back = dying.restart();
        REPLICAS.set(1, back);
        // within a few steps the fleet client finds it behind and the publisher brings it to the current version
        await().atMost(Duration.ofMinutes(3)).until(() -> {
            long current = status(runId).get("policyVersion").asLong();
            return Http.get(back.url().resolve("/v1/policy"))
                                    .json()
                                    .get("version")
                                    .asLong()
                            >= current - 1
                    && Http.get(back.url().resolve("/v1/policy"))
                                    .json()
                                    .get("version")
                                    .asLong()
                            > 0;
        });
        Http.post(optimizer("/v1/runs/" + runId + "/stop"), "", CONTROL_TOKEN);
        awaitState(runId, "stopped");
        // the death was noticed: a push or a rollout request to it failed and opened its circuit. Which of the two
        // comes first is a race (a circuit opened by a failed rollout makes the next publish skip the replica, so
        // publish failures alone can stay 0), so the replica's own circuit counter is what is asserted
        String scrape = Http.get(optimizer("/actuator/prometheus")).body();
        Matcher opened = Pattern.compile("^gspo_fleet_circuit_opened_total\\{([^}]*)} (\\S+)$", Pattern.MULTILINE)
                .matcher(scrape);
        double openedForDying = 0;
        while (opened.find()) {
            if (opened.group(1).contains("replica=\"" + dying.url() + "\"")) {
                openedForDying += Double.parseDouble(opened.group(2));
            }
        }
        assertThat(openedForDying)
                .as("the dead replica's circuit opened (a push or a request to it failed)")
                .isPositive();
    }

    private String startRun(String json) {
        Http.Response r = Http.post(optimizer("/v1/runs"), json, CONTROL_TOKEN);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("runId").asText();
    }

    private JsonNode awaitState(String runId, String state) {
        await().atMost(Duration.ofMinutes(4))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !status(runId).get("state").asText().equals("running"));
        JsonNode s = status(runId);
        assertThat(s.get("state").asText()).as("run %s: %s", runId, s).isEqualTo(state);
        return s;
    }

    private JsonNode status(String runId) {
        return Http.get(optimizer("/v1/runs/" + runId)).json();
    }

    private URI optimizer(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("gspo-it-checkpoints");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
