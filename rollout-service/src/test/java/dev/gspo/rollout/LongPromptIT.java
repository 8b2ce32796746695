package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.rollout.support.TestClient;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * A prompt text of nearly 1 MB (under the default {@code max-request-bytes}) is refused for its length before it is
 * tokenised: the attack that found this spent 2.3–2.6 s of CPU per request in the tokenizer. Measured as the CPU time
 * of the whole process while the request is answered, so it does not depend on which thread does the work.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"gspo.rollout.seed=7", "logging.level.dev.gspo=WARN"})
@DirtiesContext // its own context (the default request size): closed after, not paused in the cache
class LongPromptIT {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    @LocalServerPort
    int port;

    @Test
    void aPromptTextTooLongForThePositionsIsRefusedWithoutTokenisingIt() {
        TestClient client = new TestClient(port);
        String body = "{\"prompts\":[{\"text\":\"" + "12+34=".repeat(170_000) + "\"}]}"; // 1,020,000 characters
        client.post("/v1/rollouts", "application/json", body); // warm up the JSON path of this size

        long cpuBefore = OS.getProcessCpuTime();
        HttpResponse<String> r = client.post("/v1/rollouts", "application/json", body);
        long cpuNanos = OS.getProcessCpuTime() - cpuBefore;

        System.out.printf("a refused 1 MB prompt text cost %.3f s of CPU%n", cpuNanos / 1e9);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        assertThat(cpuNanos / 1e9)
                .as("CPU seconds spent on one refused prompt (the tokenizer took 2.3–2.6 s)")
                .isLessThan(0.5);
        JsonNode error = TestClient.tree(r.body()).path("errors").path(0);
        assertThat(error.path("field").asText()).isEqualTo("prompts[0].text");
        assertThat(error.path("message").asText()).contains("1020000 characters", "max_position_embeddings");
    }
}
