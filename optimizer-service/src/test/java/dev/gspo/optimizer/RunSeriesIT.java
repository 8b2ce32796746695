package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.RolloutReplica;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Runs told apart in {@code /actuator/prometheus}: two runs one after the other (the optimizer runs one at a time) on a
 * real replica, each with its own series under its {@code run} label, counting only its own steps, and none of a run's
 * series left once it has ended and its linger time (here 3 s) has passed. The fleet's series stay.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.push-token=" + RolloutReplica.PUSH_TOKEN,
            "gspo.optimizer.control-token=" + RunSeriesIT.CONTROL,
            "gspo.optimizer.run-metrics-linger=3s",
            "gspo.optimizer.request-timeout=30s",
            "gspo.optimizer.publish-timeout=10s",
            "logging.level.gspo.progress=WARN"
        })
class RunSeriesIT {
    static final String CONTROL = "run-series-control";
    /** Under the build folder: runs are unique by id, and {@code mvn clean} removes them. */
    private static final Path RUNS = Path.of("target", "run-series-it").toAbsolutePath();

    private static final List<RolloutReplica> REPLICAS = new java.util.ArrayList<>();
    private static final String RUN = """
            {"promptsPerStep":2,"groupSize":4,"miniBatches":1,"maxNewTokens":4,"evalSize":8,"evalEvery":2,
             "learningRate":1e-3,"seed":%d,"steps":%d}""";

    @Value("${local.server.port}")
    int port;

    @DynamicPropertySource
    static void fleet(DynamicPropertyRegistry registry) throws IOException {
        Files.createDirectories(RUNS);
        if (REPLICAS.isEmpty()) {
            REPLICAS.add(RolloutReplica.start());
        }
        registry.add("gspo.optimizer.rollout-urls", () -> REPLICAS.getFirst().url());
        registry.add("gspo.optimizer.checkpoint-dir", RUNS::toString);
    }

    @AfterAll
    static void stopReplica() {
        REPLICAS.forEach(RolloutReplica::close);
    }

    @Test
    void twoRunsHaveSeparateSeriesByRunAndNoneAreLeftAfterTheyEnd() {
        String first = start(RUN.formatted(1, 2));
        awaitCompleted(first);
        String afterFirst = scrape();

        assertThat(value(afterFirst, "gspo_train_steps_total", first)).isEqualTo(2.0);
        assertThat(value(afterFirst, "gspo_train_reward_mean", first)).isFinite();
        assertThat(value(afterFirst, "gspo_train_heldout_accuracy", first)).isBetween(0.0, 1.0);
        assertThat(value(afterFirst, "gspo_train_step_reward_count", first, "sign=\"positive\"")
                        + value(afterFirst, "gspo_train_step_reward_count", first, "sign=\"negative\""))
                .as("every step in the per-step summary")
                .isEqualTo(2.0);
        assertThat(afterFirst).doesNotContain("NaN");
        awaitNoSeriesOf(first);

        String second = start(RUN.formatted(2, 3));
        assertThat(second).isNotEqualTo(first);
        awaitCompleted(second);
        String afterSecond = scrape();

        assertThat(value(afterSecond, "gspo_train_steps_total", second))
                .as("the second run's own steps, not the process's")
                .isEqualTo(3.0);
        assertThat(value(afterSecond, "gspo_train_clip_fraction", second, "level=\"sequence\"", "side=\"total\""))
                .isFinite();
        assertThat(afterSecond).doesNotContain("run=\"" + first + "\"");
        awaitNoSeriesOf(second);

        String end = scrape();
        assertThat(end)
                .as("no training series without a run in progress")
                .doesNotContainPattern("(?m)^gspo_train_")
                .doesNotContain("run=\"");
        assertThat(value(end, "gspo_weights_publish_bytes_total", null))
                .as("the fleet's series are the process's: they stay")
                .isPositive();
        assertThat(value(end, "gspo_policy_version", null)).isPositive();
    }

    private void awaitNoSeriesOf(String runId) {
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(scrape()).doesNotContain("run=\"" + runId + "\""));
    }

    /** The value of a series of that run (null: a series without a run label) carrying all the given labels. */
    private static double value(String scrape, String name, String runId, String... labels) {
        StringBuilder regex =
                new StringBuilder("(?m)^").append(Pattern.quote(name)).append("\\{");
        if (runId != null) {
            regex.append("(?=[^}]*run=\"").append(Pattern.quote(runId)).append("\")");
        }
        for (String label : labels) {
            regex.append("(?=[^}]*").append(Pattern.quote(label)).append(")");
        }
        Matcher m = Pattern.compile(regex + "[^}]*} (\\S+)$").matcher(scrape);
        assertThat(m.find()).as("%s of %s in the scrape", name, runId).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private String scrape() {
        Http.Response r = Http.get(uri("/actuator/prometheus"));
        assertThat(r.status()).isEqualTo(200);
        return r.body();
    }

    private String start(String json) {
        Http.Response r = Http.post(uri("/v1/runs"), json, CONTROL);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("runId").asText();
    }

    private void awaitCompleted(String runId) {
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> !status(runId).get("state").asText().equals("running"));
        JsonNode s = status(runId);
        assertThat(s.get("state").asText()).as(s.toString()).isEqualTo("completed");
    }

    private JsonNode status(String runId) {
        return Http.get(uri("/v1/runs/" + runId)).json();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
