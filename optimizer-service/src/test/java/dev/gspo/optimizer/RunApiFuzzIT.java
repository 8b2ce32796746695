package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gspo.common.testing.JsonFuzz;
import dev.gspo.optimizer.support.Http;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * Property-style fuzzing of {@code POST /v1/runs} with seeded hostile bodies: never a 5xx, never a stack trace, every
 * request answered; a body that happens to be a valid config starts a run, which the test stops at once. The fleet
 * address is a closed port, so such runs end quickly (and fail cleanly) instead of training.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.rollout-urls=http://127.0.0.1:9",
            "gspo.optimizer.control-token=fuzz-token",
            "gspo.optimizer.max-attempts=1",
            "gspo.optimizer.publish-timeout=2s",
            "gspo.optimizer.request-timeout=2s",
            "logging.level.dev.gspo=OFF",
            "logging.level.gspo=OFF"
        })
class RunApiFuzzIT {
    private static final String VALID = """
            {"task":"addition","taskParams":{"minDigits":1,"maxDigits":1},"steps":1,"promptsPerStep":2,"groupSize":2,
             "miniBatches":1,"lossMode":"gspo","clipLow":0.01,"clipHigh":0.01,"learningRate":1e-4,"maxNewTokens":3,
             "sftSteps":0,"evalSize":0,"evalEvery":1,"checkpointEvery":0,"seed":3}""";

    @Value("${local.server.port}")
    int port;

    @Test
    void hostileRunConfigsAreNeverServerErrors() {
        JsonFuzz fuzz = new JsonFuzz(7L, VALID);
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < 120; i++) {
            String body = fuzz.next();
            Http.Response r = Http.post(uri("/v1/runs"), body, "fuzz-token");
            statuses.merge(r.status(), 1, Integer::sum);
            assertThat(r.status())
                    .as("case %d: %s → %s", i, body.length() > 300 ? body.substring(0, 300) : body, r.body())
                    .isLessThan(500);
            if (r.status() >= 400) {
                assertThat(r.contentType()).as("case %d", i).startsWith("application/problem+json");
                assertThat(r.body()).as("case %d", i).doesNotContain("Exception", "\tat ");
            }
            if (r.status() == 201) {
                String runId = r.json().get("runId").asText();
                Http.post(uri("/v1/runs/" + runId + "/stop"), "", "fuzz-token");
                await().atMost(Duration.ofMinutes(2)).until(() -> !Http.get(uri("/v1/runs/" + runId))
                        .json()
                        .get("state")
                        .asText()
                        .equals("running"));
            }
        }
        assertThat(statuses.keySet()).as("%s", statuses).anyMatch(s -> s == 400).anyMatch(s -> s == 422);
        assertThat(Http.get(uri("/actuator/health")).status()).isEqualTo(200);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
