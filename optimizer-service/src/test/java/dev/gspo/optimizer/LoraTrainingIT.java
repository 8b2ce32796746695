package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.common.lora.PeftAdapter;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.scoring.TeacherForcedScorer;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.common.train.TrainerState;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.RolloutReplica;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A LoRA run of the built-in model through a real rollout-service: a short full-weight warm start makes the base,
 * adapters are trained over it (on a reward that varies within groups even for a barely warmed model: an odd digit
 * in the response), every version the replica serves is base + (α/r)·B A, and the replica's log-probs are
 * the trainer's teacher-forced log-probs under base + adapter (the mismatch the trainer measures before each update).
 * Its checkpoints hold the adapters (PEFT layout), their moments and the base's SHA-256; it resumes; the export is the
 * merged model plus the adapter; bad LoRA configs are refused with 422 naming the field.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.push-token=" + RolloutReplica.PUSH_TOKEN,
            "gspo.optimizer.control-token=" + LoraTrainingIT.CONTROL_TOKEN,
            "gspo.optimizer.request-timeout=60s",
            "gspo.optimizer.publish-timeout=30s",
            "logging.level.gspo.progress=WARN"
        })
class LoraTrainingIT {
    static final String CONTROL_TOKEN = "lora-it-control-token";
    private static final Path WORK = tempDir();
    private static RolloutReplica replica;

    @Value("${local.server.port}")
    int port;

    @org.springframework.beans.factory.annotation.Autowired
    dev.gspo.optimizer.publish.PolicyPublisher publisher;

    @DynamicPropertySource
    static void fleet(DynamicPropertyRegistry registry) {
        if (replica == null) {
            replica = RolloutReplica.start();
        }
        registry.add("gspo.optimizer.rollout-urls", () -> replica.url().toString());
        registry.add("gspo.optimizer.checkpoint-dir", () -> WORK.resolve("runs").toString());
    }

    @AfterAll
    static void stop() {
        if (replica != null) {
            replica.close();
        }
    }

    @Test
    void aLoraRunTrainsAdaptersServedMergedResumesAndExports() throws Exception {
        String body = """
                {"steps": 3, "seed": 5,
                 "rewards": [{"fn": "regex", "pattern": "[13579]"}],
                 "lora": {"rank": 4, "alpha": 16},
                 "sampling": {"promptsPerStep": 4, "groupSize": 4},
                 "optimizer": {"learningRate": 0.01, "miniBatches": 1},
                 "warmStart": {"steps": 3, "batchSize": 8},
                 "eval": {"every": 3, "size": 8},
                 "checkpointing": {"every": 1}}""";
        Http.Response started = Http.post(optimizer("/v1/runs"), body, CONTROL_TOKEN);
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        String runId = started.json().get("runId").asText();
        JsonNode done = awaitEnd(runId);
        assertThat(done.get("state").asText()).as("%s", done).isEqualTo("completed");
        assertThat(done.at("/config/lora/rank").asInt()).isEqualTo(4);
        assertThat(done.at("/config/lora/targets")).hasSize(7);

        JsonNode steps =
                Http.get(optimizer("/v1/runs/" + runId + "/metrics")).json().get("steps");
        assertThat(steps).hasSize(3);
        for (JsonNode step : steps) {
            // the replica served base + (α/r)·B A of the version the samples carry; the trainer scores base + adapter
            assertThat(step.get("mismatchMax").asDouble())
                    .as("step %s", step.get("step"))
                    .isLessThanOrEqualTo(1e-5);
            assertThat(step.get("policyVersion").asLong())
                    .isEqualTo(step.get("step").asLong() + 1);
        }

        Path checkpoint = Path.of(done.get("lastCheckpoint").asText());
        TrainerState state = Checkpoint.read(checkpoint);
        Path baseDir = WORK.resolve("runs").resolve(runId).resolve("lora-base");
        assertThat(state.loraBase().dir()).isEqualTo(baseDir.toAbsolutePath().toString());
        assertThat(state.loraBase().sha256())
                .isEqualTo(PolicyModel.sha256(Files.readAllBytes(baseDir.resolve(PolicyModel.WEIGHTS_FILE))));
        assertThat(checkpoint.resolve(PolicyModel.WEIGHTS_FILE)).doesNotExist();
        assertThat(Checkpoint.optimizerState(checkpoint).keySet()).allMatch(n -> n.contains(".lora_"));
        // only adapters were published after the base: the replica keeps the run's base and serves it + adapter
        JsonNode served = Http.get(replica.url().resolve("/v1/policy")).json();
        assertThat(served.get("version").asLong())
                .isEqualTo(done.get("policyVersion").asLong());
        assertThat(served.get("baseSha256").asText()).isEqualTo(state.loraBase().sha256());
        long adapterBytes = served.at("/adapter/bytes").asLong();
        long baseBytes = Files.size(baseDir.resolve(PolicyModel.WEIGHTS_FILE));
        assertThat(adapterBytes).isPositive().isLessThan(baseBytes / 10);
        assertThat(served.at("/adapter/rank").asInt()).isEqualTo(4);
        // one replica: the base once (the GSPO start), then one adapter per step
        assertThat(publishedBytes()).isEqualTo(baseBytes + 3 * adapterBytes);

        // the export: the merged model computes what base + adapter computes
        HttpResponse<byte[]> zip = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(optimizer("/v1/runs/" + runId + "/model"))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertThat(zip.statusCode()).isEqualTo(200);
        Path exported = unzip(zip.body(), WORK.resolve("export"));
        assertThat(exported.resolve("adapter").resolve(PeftAdapter.WEIGHTS_FILE))
                .isRegularFile();
        assertThat(zip.headers().firstValue("X-Model-SHA256"))
                .contains(PolicyModel.sha256(Files.readAllBytes(exported.resolve(PolicyModel.WEIGHTS_FILE))));
        try (NDManager manager = NDManager.newBaseManager()) {
            PolicyModel base = PolicyModel.load(baseDir, manager);
            PolicyModel merged = PolicyModel.load(exported, manager);
            try (PolicyModel adapted =
                    base.withLora(PeftAdapter.read(exported.resolve("adapter"), base.config(), manager))) {
                float[] want = logprobs(adapted, manager);
                float[] got = logprobs(merged, manager);
                float[] plain = logprobs(base, manager);
                for (int i = 0; i < want.length; i++) {
                    assertThat((double) Math.abs(got[i] - want[i])).isLessThanOrEqualTo(1e-5);
                }
                assertThat(plain).as("the adapters learnt something").isNotEqualTo(want);
            }
            merged.close();
            merged.tokenizer().close();
            base.close();
            base.tokenizer().close();
        }

        // resume: two more steps from the checkpoint, the adapters' AdamW continues
        Http.Response resumed =
                Http.post(optimizer("/v1/runs"), "{\"resumeFrom\": \"" + runId + "\", \"steps\": 5}", CONTROL_TOKEN);
        assertThat(resumed.status()).as(resumed.body()).isEqualTo(201);
        JsonNode after = awaitEnd(runId);
        assertThat(after.get("state").asText()).as("%s", after).isEqualTo("completed");
        TrainerState last = Checkpoint.read(Path.of(after.get("lastCheckpoint").asText()));
        assertThat(last.step()).isEqualTo(5);
        assertThat(last.optimizerStep()).isEqualTo(state.optimizerStep() + 2);
        assertThat(last.loraBase()).isEqualTo(state.loraBase());

        // catch-up: a replica that restarted keeps its start-up weights, another base; the optimizer's catch-up path
        // is refused the adapter (base_mismatch), sends the base, then the adapter
        replica.stop();
        replica = replica.restart();
        assertThat(Http.get(replica.url().resolve("/v1/policy"))
                        .json()
                        .get("version")
                        .asLong())
                .isZero();
        assertThat(publisher.bringUpToDate(replica.url())).isTrue();
        JsonNode caught = Http.get(replica.url().resolve("/v1/policy")).json();
        assertThat(caught.get("version").asLong())
                .isEqualTo(after.get("policyVersion").asLong());
        assertThat(caught.get("baseSha256").asText()).isEqualTo(state.loraBase().sha256());
        assertThat(caught.at("/adapter/rank").asInt()).isEqualTo(4);
    }

    @Test
    void badLoraConfigsAreRefusedNamingTheField() {
        assertThat(refusal("{\"lora\": {\"rank\": 0}}")).contains("lora.rank: must be between 1 and 4096, got 0");
        assertThat(refusal("{\"lora\": {\"targets\": [\"q_proj\", \"w_proj\"]}}"))
                .contains("lora.targets: unknown target 'w_proj'; known: [q_proj, k_proj, v_proj, o_proj, gate_proj,"
                        + " up_proj, down_proj]");
        // the built-in model: d 96, 2 key/value heads of 24 → k_proj and v_proj are 48 × 96
        assertThat(refusal("{\"lora\": {\"rank\": 49, \"targets\": [\"k_proj\"]}}"))
                .contains("lora.rank: rank 49 exceeds the width 48 of k_proj (48 × 96)");
        assertThat(refusal("{\"lora\": {\"alpha\": -1}}"))
                .contains("lora.alpha: must be in (0.0, 1000000.0], got -1.0");
    }

    /** The optimizer's {@code gspo_weights_publish_bytes_total} (bytes sent to replicas, per process). */
    private long publishedBytes() {
        String text = Http.get(optimizer("/actuator/prometheus")).body();
        return text.lines()
                .filter(l -> l.startsWith("gspo_weights_publish_bytes_total"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    private String refusal(String body) {
        Http.Response r = Http.post(optimizer("/v1/runs?dryRun=true"), body, CONTROL_TOKEN);
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.body()).doesNotContain("Exception", "at dev.");
        return r.json().get("detail").asText();
    }

    private JsonNode awaitEnd(String runId) {
        await().atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> !Http.get(optimizer("/v1/runs/" + runId))
                        .json()
                        .get("state")
                        .asText()
                        .equals("running"));
        return Http.get(optimizer("/v1/runs/" + runId)).json();
    }

    private static float[] logprobs(PolicyModel model, NDManager manager) {
        List<int[]> prompts =
                List.of(model.tokenizer().encode("12+34="), model.tokenizer().encode("7+5="));
        List<int[]> responses =
                List.of(model.tokenizer().encode("46\n"), model.tokenizer().encode("12\n"));
        try (NDScope ignored = new NDScope()) {
            return TeacherForcedScorer.score(model.transformer(), manager, prompts, responses, new float[] {1f, 0.7f})
                    .logprobs()
                    .toFloatArray();
        }
    }

    private static Path unzip(byte[] zip, Path into) throws IOException {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                Path f = into.resolve(e.getName());
                Files.createDirectories(f.getParent());
                Files.copy(in, f);
            }
        }
        return into;
    }

    private URI optimizer(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("gspo-lora-it");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
