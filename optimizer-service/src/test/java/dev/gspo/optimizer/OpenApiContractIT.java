package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.testing.OpenApiContract;
import dev.gspo.optimizer.support.RolloutReplica;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The published OpenAPI document ({@code /v3/api-docs}) is the contract: a short real run against a real in-process
 * replica is checked (dry run), started, listed (a page), inspected, refused a second start, stopped, refused a second
 * stop, exported (the model zip) and resumed, and every
 * error each operation declares is provoked; every answer is validated against the document the optimizer itself
 * publishes (status declared for the operation, content type, body schema: the run status, the typed metrics, the
 * RFC 9457 problem on every error), the success requests too. Every (operation, status) the document declares must
 * be produced, except a 500 (no request can cause one), so the document can drift neither way. Control and read
 * tokens are configured, so the 401s are real.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.push-token=" + RolloutReplica.PUSH_TOKEN,
            "gspo.optimizer.control-token=" + OpenApiContractIT.CONTROL,
            "gspo.optimizer.read-token=" + OpenApiContractIT.READ,
            "gspo.optimizer.max-request-bytes=64KB",
            "gspo.optimizer.checkpoint-dir=target/openapi-contract-it/runs",
            "logging.level.dev.gspo=WARN",
            "logging.level.gspo=WARN"
        })
@DirtiesContext
class OpenApiContractIT {
    static final String CONTROL = "contract-control-token";
    static final String READ = "contract-read-token";
    private static final Set<String> EXEMPT = Set.of(
            "POST /v1/runs 500",
            "GET /v1/runs 500",
            "GET /v1/runs/{id} 500",
            "GET /v1/runs/{id}/metrics 500",
            "POST /v1/runs/{id}/stop 500",
            "GET /v1/runs/{id}/model 500");
    /** Enough steps that the run is still running when it is stopped; each step is tiny. */
    private static final String RUN = """
            {"steps": 200, "seed": 3, "sampling": {"promptsPerStep": 2, "groupSize": 2, "maxNewTokens": 3},
             "optimizer": {"miniBatches": 1}, "warmStart": {"steps": 0}, "eval": {"size": 0, "every": 1},
             "checkpointing": {"every": 1}}""";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static RolloutReplica replica;

    @Value("${local.server.port}")
    int port;

    @DynamicPropertySource
    static void fleet(DynamicPropertyRegistry registry) {
        if (replica == null) {
            replica = RolloutReplica.start();
        }
        registry.add("gspo.optimizer.rollout-urls", () -> replica.url().toString());
    }

    @AfterAll
    static void stopReplica() {
        if (replica != null) {
            replica.close();
        }
    }

    @Test
    void everyEndpointAnswersAsItsPublishedDocumentSays() throws Exception {
        OpenApiContract contract =
                OpenApiContract.of(URI.create("http://127.0.0.1:" + port), Map.of("Authorization", "Bearer " + READ));
        assertThat(contract.spec().path("openapi").asText()).startsWith("3.0");
        assertThat(contract.spec().path("info").path("title").asText()).isEqualTo("gspo optimizer-service");
        assertThat(contract.declared("post", "/v1/runs")).contains("201");

        // refusals that leave nothing behind
        post(contract, "/v1/runs", "/v1/runs", null, RUN).expect(401);
        post(contract, "/v1/runs", "/v1/runs", CONTROL, "{\"steps\": 3,").expect(400);
        post(contract, "/v1/runs", "/v1/runs", CONTROL, "{\"stepz\": 3}").expect(400);
        post(contract, "/v1/runs", "/v1/runs", CONTROL, "{\"steps\": -1, \"sampling\": {\"groupSize\": 0}}")
                .expect(422);
        post(contract, "/v1/runs", "/v1/runs", CONTROL, "{\"model\": \"" + "x".repeat(70_000) + "\"}")
                .expect(413);
        contract.exchange("POST", "/v1/runs", "/v1/runs")
                .header("Authorization", "Bearer " + CONTROL)
                .body("text/plain", "steps=3".getBytes(StandardCharsets.UTF_8))
                .expect(415);
        for (String template : new String[] {"/v1/runs", "/v1/runs/{id}", "/v1/runs/{id}/metrics"}) {
            String path = template.replace("{id}", "run-none");
            contract.exchange("GET", template, path).expect(401);
            if (!template.equals("/v1/runs")) {
                read(contract, template, path).expect(404);
            }
        }
        read(contract, "/v1/runs", "/v1/runs?limit=0").expect(400);
        contract.exchange("GET", "/v1/runs/{id}/model", "/v1/runs/run-none/model")
                .expect(401);
        read(contract, "/v1/runs/{id}/model", "/v1/runs/run-none/model").expect(404);
        post(contract, "/v1/runs", "/v1/runs?dryRun=maybe", CONTROL, RUN).expect(400);
        post(contract, "/v1/runs", "/v1/runs?dryRun=true", CONTROL, RUN).valid().expect(200);
        post(contract, "/v1/runs/{id}/stop", "/v1/runs/run-none/stop", null, null)
                .expect(401);
        post(contract, "/v1/runs/{id}/stop", "/v1/runs/run-none/stop", CONTROL, null)
                .expect(404);

        // a run's life: start, a second start while it runs, list, status, stop, a second stop, metrics, resume
        String id = json(post(contract, "/v1/runs", "/v1/runs", CONTROL, RUN)
                        .valid()
                        .expect(201))
                .path("runId")
                .asText();
        post(contract, "/v1/runs", "/v1/runs", CONTROL, RUN).expect(409);
        await().atMost(Duration.ofMinutes(2))
                .until(() -> json(read(contract, "/v1/runs/{id}", "/v1/runs/" + id)
                                        .valid()
                                        .expect(200))
                                .path("step")
                                .asLong()
                        >= 1);
        read(contract, "/v1/runs", "/v1/runs?limit=10&offset=0").valid().expect(200);
        post(contract, "/v1/runs/{id}/stop", "/v1/runs/" + id + "/stop", CONTROL, null)
                .valid()
                .expect(200);
        awaitStopped(contract, id);
        post(contract, "/v1/runs/{id}/stop", "/v1/runs/" + id + "/stop", CONTROL, null)
                .expect(409);
        JsonNode metrics = json(read(contract, "/v1/runs/{id}/metrics", "/v1/runs/" + id + "/metrics")
                .valid()
                .expect(200));
        assertThat(metrics.path("steps").size()).isPositive();
        HttpResponse<String> zip = read(contract, "/v1/runs/{id}/model", "/v1/runs/" + id + "/model")
                .valid()
                .expect(200);
        assertThat(zip.headers().firstValue("X-Model-SHA256")).isPresent();

        String resumed = json(post(
                                contract,
                                "/v1/runs",
                                "/v1/runs",
                                CONTROL,
                                "{\"resumeFrom\": \"" + id + "\", \"steps\": 400}")
                        .valid()
                        .expect(201))
                .path("runId")
                .asText();
        post(contract, "/v1/runs/{id}/stop", "/v1/runs/" + resumed + "/stop", CONTROL, null)
                .valid()
                .expect(200);
        awaitStopped(contract, resumed);
        read(contract, "/v1/runs/{id}", "/v1/runs/" + resumed).valid().expect(200);

        assertThat(contract.uncovered(EXEMPT))
                .as("declared answers no request produced")
                .isEmpty();
    }

    private static void awaitStopped(OpenApiContract contract, String id) {
        await().atMost(Duration.ofMinutes(2)).until(() -> !json(read(contract, "/v1/runs/{id}", "/v1/runs/" + id)
                        .expect(200))
                .path("state")
                .asText()
                .equals("running"));
    }

    private static OpenApiContract.Exchange read(OpenApiContract contract, String template, String path) {
        return contract.exchange("GET", template, path).header("Authorization", "Bearer " + READ);
    }

    private static OpenApiContract.Exchange post(
            OpenApiContract contract, String template, String path, String token, String body) {
        OpenApiContract.Exchange e = contract.exchange("POST", template, path);
        if (token != null) {
            e.header("Authorization", "Bearer " + token);
        }
        return body == null ? e : e.json(body);
    }

    private static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
