package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.ndarray.NDManager;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.scoring.ResponseLogprobs;
import dev.gspo.common.scoring.TeacherForcedScorer;
import dev.gspo.common.tokenizer.BuiltinVocabulary;
import dev.gspo.optimizer.publish.PolicyPublisher;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.RolloutReplica;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Runs an orchestrator can trust, against a real rollout-service: every run and its attempts survive an optimizer
 * restart (a new Spring context over the same checkpoint folder, in the middle of a paged listing); a resume is a new
 * attempt that starts at its checkpoint's step; {@code ?dryRun=true} checks without starting, before the busy check; a
 * run whose model does not fit the fleet is refused at {@code POST} naming both shapes; the exported model loads and
 * scores exactly as the checkpoint; no number is ever the string {@code "NaN"}; a push a replica refuses is logged and
 * shown with the replica's own words.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RunRegistryIT {
    private static final String CONTROL = "registry-control";
    /** Under the build folder (a new folder per JVM: the listing counts the runs). */
    private static final Path DIR = Path.of("target", "run-registry-it", Long.toString(System.nanoTime()))
            .toAbsolutePath();

    private static final Path RUNS = DIR.resolve("runs");
    private static final Path MODELS = DIR.resolve("models");
    private static final String RUN = """
            {"promptsPerStep":4,"groupSize":4,"miniBatches":1,"maxNewTokens":5,"evalSize":4,"evalEvery":1000,
             "checkpointEvery":1,"learningRate":1e-3,"seed":%d,"steps":%d}""";

    private static RolloutReplica replica;
    private static ConfigurableApplicationContext optimizer;
    private static URI base;
    private static String first;

    @BeforeAll
    static void fleet() throws IOException {
        Files.createDirectories(RUNS);
        Files.createDirectories(MODELS);
        replica = RolloutReplica.start();
    }

    @AfterAll
    static void stop() {
        if (optimizer != null) {
            optimizer.close();
        }
        if (replica != null) {
            replica.close();
        }
    }

    @Test
    @Order(1)
    void everyRunAndItsAttemptsSurviveARestartInTheMiddleOfAListing() {
        start(RUNS, replica.url(), RolloutReplica.PUSH_TOKEN);
        first = startRun(RUN.formatted(1, 2));
        awaitEnd(first);
        String stopped = startRun(RUN.formatted(2, 200));
        await().atMost(Duration.ofMinutes(2))
                .until(() -> status(stopped).get("step").asLong() >= 1);
        assertThat(Http.post(uri("/v1/runs/" + stopped + "/stop"), "", CONTROL).status())
                .isEqualTo(200);
        awaitEnd(stopped);

        // a resume is a new attempt of the same run, and its answer starts at the checkpoint's step, not 0
        Http.Response resumed = Http.post(uri("/v1/runs"), "{\"resumeFrom\":\"" + first + "\",\"steps\":3}", CONTROL);
        assertThat(resumed.status()).as(resumed.body()).isEqualTo(201);
        JsonNode answer = resumed.json();
        assertThat(answer.get("runId").asText()).isEqualTo(first);
        assertThat(answer.get("step").asLong()).as(answer.toString()).isEqualTo(2);
        assertThat(answer.get("totalSteps").asLong()).isEqualTo(3);
        assertThat(answer.get("attempts")).hasSize(2);
        assertThat(answer.get("attempts").get(1).get("fromStep").asLong()).isEqualTo(2);
        awaitEnd(first);
        String newest = startRun(RUN.formatted(3, 2));
        awaitEnd(newest);

        JsonNode page1 = Http.get(uri("/v1/runs?limit=2")).json();
        assertThat(ids(page1)).containsExactly(newest, stopped); // newest first, by the first attempt's start
        assertThat(page1.get("total").asInt()).isEqualTo(3);
        assertThat(page1.get("nextOffset").asInt()).isEqualTo(2);

        optimizer.close(); // the optimizer restarts between two pages
        start(RUNS, replica.url(), RolloutReplica.PUSH_TOKEN);

        JsonNode page2 = Http.get(
                        uri("/v1/runs?limit=2&offset=" + page1.get("nextOffset").asInt()))
                .json();
        assertThat(ids(page2)).containsExactly(first);
        assertThat(page2.has("nextOffset")).as(page2.toString()).isFalse();
        JsonNode again = Http.get(uri("/v1/runs?limit=2")).json();
        assertThat(ids(again)).containsExactly(newest, stopped);

        JsonNode resumedRun = status(first);
        assertThat(resumedRun.get("state").asText()).isEqualTo("completed");
        assertThat(resumedRun.get("step").asLong()).isEqualTo(3);
        JsonNode attempts = resumedRun.get("attempts");
        assertThat(attempts).hasSize(2);
        assertThat(attempts.get(0).get("state").asText()).isEqualTo("completed");
        assertThat(attempts.get(0).get("fromStep").asLong()).isZero();
        assertThat(attempts.get(0).get("step").asLong()).isEqualTo(2);
        assertThat(attempts.get(1).get("state").asText()).isEqualTo("completed");
        assertThat(attempts.get(1).get("fromStep").asLong()).isEqualTo(2);
        assertThat(attempts.get(1).get("step").asLong()).isEqualTo(3);
        assertThat(attempts.get(1).get("resumedFrom").asText()).endsWith("step-000002");
        assertThat(resumedRun.get("config").get("steps").asInt()).isEqualTo(3);
        assertThat(status(stopped).get("state").asText()).isEqualTo("stopped");
        assertThat(status(stopped).get("attempts")).hasSize(1);

        List<Long> steps = new ArrayList<>();
        Http.get(uri("/v1/runs/" + first + "/metrics"))
                .json()
                .get("steps")
                .forEach(m -> steps.add(m.get("step").asLong()));
        assertThat(steps).containsExactly(1L, 2L, 3L);
    }

    @Test
    @Order(2)
    void aDryRunChecksEverythingAStartChecksAndStartsNothing() {
        int before = Http.get(uri("/v1/runs")).json().get("total").asInt();
        Http.Response ok = Http.post(uri("/v1/runs?dryRun=true"), "{\"steps\":5}", CONTROL);
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.json().get("dryRun").asBoolean()).isTrue();
        JsonNode config = ok.json().get("config");
        assertThat(config.get("steps").asInt()).isEqualTo(5);
        assertThat(config.get("sampling").get("groupSize").isNumber())
                .as("defaults filled in: " + config)
                .isTrue();
        assertThat(Http.get(uri("/v1/runs")).json().get("total").asInt()).isEqualTo(before);

        String invalid = "{\"steps\":0}";
        Http.Response dryInvalid = Http.post(uri("/v1/runs?dryRun=true"), invalid, CONTROL);
        Http.Response realInvalid = Http.post(uri("/v1/runs"), invalid, CONTROL);
        assertThat(dryInvalid.status()).as(dryInvalid.body()).isEqualTo(422);
        assertThat(dryInvalid.json().get("detail")).isEqualTo(realInvalid.json().get("detail"));

        Http.Response resume =
                Http.post(uri("/v1/runs?dryRun=true"), "{\"resumeFrom\":\"" + first + "\",\"steps\":9}", CONTROL);
        assertThat(resume.status()).as(resume.body()).isEqualTo(200);
        assertThat(resume.json().get("resumes").asText()).isEqualTo(first);
        assertThat(resume.json().get("resumesAtStep").asLong()).isEqualTo(3);

        assertThat(Http.post(uri("/v1/runs?dryRun=maybe"), "{}", CONTROL).status())
                .isEqualTo(400);
    }

    @Test
    @Order(3)
    void whileARunIsActiveAnInvalidConfigGetsItsProblemAndAValidDryRunIsAccepted() {
        String busy = startRun(RUN.formatted(4, 500));
        try {
            Http.Response invalid = Http.post(uri("/v1/runs"), "{\"steps\":0}", CONTROL);
            assertThat(invalid.status()).as(invalid.body()).isEqualTo(422);
            assertThat(invalid.json().get("detail").asText()).contains("steps");
            assertThat(Http.post(uri("/v1/runs?dryRun=true"), "{\"steps\":0}", CONTROL)
                            .status())
                    .isEqualTo(422);
            Http.Response dry = Http.post(uri("/v1/runs?dryRun=true"), RUN.formatted(5, 3), CONTROL);
            assertThat(dry.status()).as(dry.body()).isEqualTo(200);
            Http.Response real = Http.post(uri("/v1/runs"), RUN.formatted(5, 3), CONTROL);
            assertThat(real.status()).as(real.body()).isEqualTo(409);
        } finally {
            Http.post(uri("/v1/runs/" + busy + "/stop"), "", CONTROL);
            awaitEnd(busy);
        }
    }

    @Test
    @Order(4)
    void aRunWhoseModelDoesNotFitTheFleetIsRefusedNamingBothShapes() throws IOException {
        ModelConfig builtin = BuiltinModel.config();
        ModelConfig narrow = new ModelConfig(
                "llama",
                builtin.vocabSize(),
                64,
                builtin.intermediateSize(),
                builtin.numHiddenLayers(),
                builtin.numAttentionHeads(),
                builtin.numKeyValueHeads(),
                16,
                builtin.ropeTheta(),
                builtin.rmsNormEps(),
                builtin.maxPositionEmbeddings(),
                builtin.tieWordEmbeddings(),
                false,
                builtin.bosTokenId(),
                builtin.eosTokenIds());
        Path model = MODELS.resolve("narrow");
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel m = BuiltinModel.create(narrow, model, 7, manager)) {
            m.tokenizer().close();
        }
        int total = Http.get(uri("/v1/runs")).json().get("total").asInt();
        String body = "{\"model\":\"" + model + "\",\"steps\":2}";
        String expected = "tensor model.embed_tokens.weight has shape [" + BuiltinVocabulary.size()
                + ", 64] but replica " + replica.url() + " serves [" + BuiltinVocabulary.size() + ", 96]";
        for (String path : List.of("/v1/runs", "/v1/runs?dryRun=true")) {
            Http.Response refused = Http.post(uri(path), body, CONTROL);
            assertThat(refused.status()).as(refused.body()).isEqualTo(422);
            assertThat(refused.json().get("detail").asText()).contains(expected);
        }
        assertThat(Http.get(uri("/v1/runs")).json().get("total").asInt()).isEqualTo(total);

        // the same model type and shapes as the fleet's: accepted
        Path fits = MODELS.resolve("fits");
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel m = BuiltinModel.create(builtin, fits, 7, manager)) {
            m.tokenizer().close();
        }
        // a tokenizer file besides tokenizer.json, which checkpoints and the export must keep
        Files.writeString(fits.resolve("tokenizer_config.json"), "{\"model_max_length\": 64}\n");
        Http.Response accepted =
                Http.post(uri("/v1/runs?dryRun=true"), "{\"model\":\"" + fits + "\",\"steps\":2}", CONTROL);
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(200);
    }

    @Test
    @Order(5)
    void theExportedModelLoadsAndScoresAsTheCheckpoint() throws Exception {
        String run = startRun("{\"model\":\"" + MODELS.resolve("fits") + "\","
                + "\"sftSteps\":2,"
                + RUN.formatted(8, 2).substring(1));
        awaitEnd(run);
        HttpResponse<byte[]> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(uri("/v1/runs/" + run + "/model"))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/zip");
        assertThat(r.headers().firstValue("X-Checkpoint-Step")).hasValue("2");
        String sha = r.headers().firstValue("X-Model-SHA256").orElseThrow();

        Path unzipped = Files.createDirectories(DIR.resolve("exported"));
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(r.body()))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                byte[] bytes = zip.readAllBytes();
                files.put(e.getName(), bytes);
                Files.write(unzipped.resolve(e.getName()), bytes);
            }
        }
        assertThat(files)
                .containsKeys(
                        "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "SHA256SUMS");
        assertThat(PolicyModel.sha256(files.get("model.safetensors"))).isEqualTo(sha);
        for (String line : new String(files.get("SHA256SUMS")).strip().split("\n")) {
            String[] parts = line.split(" {2}");
            assertThat(PolicyModel.sha256(files.get(parts[1]))).as(parts[1]).isEqualTo(parts[0]);
        }

        Path checkpoint = RUNS.resolve(run).resolve("checkpoints").resolve("step-000002");
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel exported = PolicyModel.load(unzipped, manager);
                PolicyModel saved = PolicyModel.load(checkpoint, manager)) {
            int[] prompt = exported.tokenizer().encode("12+34=");
            int[] response = exported.tokenizer().encode("46");
            float[] a = logprobs(exported, prompt, response, manager);
            float[] b = logprobs(saved, prompt, response, manager);
            assertThat(a).hasSize(response.length);
            assertThat(a).containsExactly(b, org.assertj.core.data.Offset.offset(1e-5f));
            float[] base = logprobs(
                    BuiltinModel.create(BuiltinModel.config(), DIR.resolve("untrained"), 7, manager),
                    prompt,
                    response,
                    manager);
            assertThat(a)
                    .as("the trained weights, not the model the run started from")
                    .isNotEqualTo(base);
            exported.tokenizer().close();
            saved.tokenizer().close();
        }
        // and a rollout-service serves it as it is
        try (RolloutReplica served = RolloutReplica.start("x", "--gspo.rollout.model-dir=" + unzipped)) {
            assertThat(Http.get(served.url().resolve("/v1/policy"))
                            .json()
                            .get("sha256")
                            .asText())
                    .isEqualTo(sha);
        }

        assertThat(Http.get(uri("/v1/runs/no-such-run/model")).status()).isEqualTo(404);
    }

    @Test
    @Order(6)
    void noNumberIsEverTheStringNaN() {
        Http.Response metrics = Http.get(uri("/v1/runs/" + first + "/metrics"));
        Http.Response status = Http.get(uri("/v1/runs/" + first));
        for (Http.Response r : List.of(metrics, status, Http.get(uri("/v1/runs")))) {
            assertThat(r.body()).doesNotContainIgnoringCase("nan\"").doesNotContain("Infinity");
        }
        JsonNode step1 = metrics.json().get("steps").get(0);
        assertThat(step1.get("expertChangeShare").isNull())
                .as("a dense model has no expert changes: " + step1)
                .isTrue();
        assertThat(step1.get("heldOutAccuracy").isNull())
                .as("no held-out evaluation at step 1")
                .isTrue();
    }

    @Test
    @Order(7)
    void aPushTheReplicaRefusesIsLoggedAndShownWithTheReplicasDetail() {
        optimizer.close();
        Logger publisher = (Logger) LoggerFactory.getLogger(PolicyPublisher.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        try (RolloutReplica other = RolloutReplica.start("another-push-token")) {
            start(DIR.resolve("runs-refused"), other.url(), RolloutReplica.PUSH_TOKEN);
            logged.start(); // after the context started: starting one configures logging afresh
            publisher.addAppender(logged);
            String run = startRun(RUN.formatted(6, 2));
            awaitEnd(run);
            JsonNode s = status(run);
            assertThat(s.get("lastPublishError").get("replica").asText())
                    .isEqualTo(other.url().toString());
            assertThat(s.get("lastPublishError").get("error").asText())
                    .as(s.toString())
                    .contains("the bearer token is not the configured push token");
            assertThat(logged.list)
                    .filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                    .extracting(ILoggingEvent::getFormattedMessage)
                    .anySatisfy(m -> assertThat(m)
                            .contains(other.url().toString())
                            .contains("the bearer token is not the configured push token"));
            // the run failed before its first checkpoint: nothing to export yet
            Http.Response none = Http.get(uri("/v1/runs/" + run + "/model"));
            assertThat(none.status()).as(none.body()).isEqualTo(404);
            assertThat(none.contentType()).startsWith("application/problem+json");
            assertThat(none.json().get("detail").asText())
                    .isEqualTo("run " + run + " has no checkpoint yet: nothing to export");
        } finally {
            publisher.detachAppender(logged);
        }
    }

    private static float[] logprobs(PolicyModel model, int[] prompt, int[] response, NDManager manager) {
        ResponseLogprobs r = TeacherForcedScorer.score(
                model.transformer(), manager, List.of(prompt), List.of(response), new float[] {1f});
        float[] all = r.logprobs().toFloatArray();
        return java.util.Arrays.copyOf(all, response.length);
    }

    private static void start(Path runs, URI replicaUrl, String pushToken) {
        optimizer = new SpringApplicationBuilder(OptimizerApplication.class)
                .run(
                        "--server.port=0",
                        "--server.address=127.0.0.1",
                        "--spring.jmx.enabled=false",
                        "--gspo.optimizer.rollout-urls=" + replicaUrl,
                        "--gspo.optimizer.push-token=" + pushToken,
                        "--gspo.optimizer.control-token=" + CONTROL,
                        "--gspo.optimizer.checkpoint-dir=" + runs,
                        "--gspo.optimizer.model-dirs=" + MODELS,
                        "--gspo.optimizer.max-attempts=1",
                        "--gspo.optimizer.publish-timeout=10s",
                        "--gspo.optimizer.request-timeout=30s",
                        "--logging.level.gspo.progress=WARN");
        base = URI.create("http://127.0.0.1:"
                + ((WebServerApplicationContext) optimizer).getWebServer().getPort());
    }

    private static String startRun(String body) {
        Http.Response r = Http.post(uri("/v1/runs"), body, CONTROL);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("runId").asText();
    }

    private static void awaitEnd(String runId) {
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !status(runId).get("state").asText().equals("running"));
    }

    private static JsonNode status(String runId) {
        return Http.get(uri("/v1/runs/" + runId)).json();
    }

    private static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.get("runs").forEach(r -> ids.add(r.get("runId").asText()));
        return ids;
    }

    private static URI uri(String path) {
        return base.resolve(path);
    }
}
