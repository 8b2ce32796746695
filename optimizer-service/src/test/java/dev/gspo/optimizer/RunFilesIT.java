package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.ReadOnlyFolder;
import dev.gspo.optimizer.support.RolloutReplica;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Run files that cannot be written: a run whose folder turns read-only mid-run (checkpoints, {@code metrics.jsonl} and
 * the report all fail) keeps training, says so in its status ({@code lastWriteError}, {@code checkpointStale},
 * {@code latestCheckpointStep}) and in {@code gspo.run.file.write.failures}, and ends {@code completed} with a stale
 * checkpoint that the status tells apart. And checkpoint retention keeps only the newest ones and the best.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.push-token=" + RolloutReplica.PUSH_TOKEN,
            "gspo.optimizer.control-token=" + RunFilesIT.CONTROL,
            "gspo.optimizer.checkpoint-keep-last=2",
            "gspo.optimizer.request-timeout=30s",
            "gspo.optimizer.publish-timeout=10s",
            "gspo.optimizer.run-metrics-linger=10m", // a finished run's series stay while the test reads them
            "logging.level.gspo.progress=WARN"
        })
class RunFilesIT {
    static final String CONTROL = "run-files-control";
    /** Under the build folder: runs are unique by id, and {@code mvn clean} removes them. */
    private static final Path RUNS = Path.of("target", "run-files-it").toAbsolutePath();

    private static final List<RolloutReplica> REPLICAS = new java.util.ArrayList<>();
    private static final String RUN = """
            {"promptsPerStep":4,"groupSize":4,"miniBatches":1,"maxNewTokens":5,"evalSize":8,"evalEvery":2,
             "checkpointEvery":2,"learningRate":1e-3,"seed":5,"steps":%d}""";

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
    void aRunWhoseFolderTurnsReadOnlyGoesOnAndSaysSo() throws Exception {
        String runId = start(RUN.formatted(14));
        await().atMost(Duration.ofMinutes(3))
                .until(() -> status(runId).path("latestCheckpointStep").asLong() >= 2);
        long stepAtBreak;
        try (ReadOnlyFolder readOnly = ReadOnlyFolder.of(RUNS.resolve(runId))) {
            stepAtBreak = status(runId).get("step").asLong();
            System.out.printf("run folder made unwritable at step %d: %s%n", stepAtBreak, readOnly.mechanism());
            await().atMost(Duration.ofMinutes(3)).until(() -> runningStep(runId) >= stepAtBreak + 4);
            JsonNode during = status(runId);
            assertThat(during.get("state").asText()).as(during.toString()).isEqualTo("running");
            assertThat(during.get("checkpointStale").asBoolean())
                    .as(during.toString())
                    .isTrue();
            assertThat(during.get("latestCheckpointStep").asLong()).isLessThanOrEqualTo(stepAtBreak);
            assertThat(during.get("lastWriteError").get("file").asText()).isIn("metrics.jsonl", "checkpoint");
            assertThat(during.get("lastWriteError").get("error").asText()).isNotBlank();

            await().atMost(Duration.ofMinutes(3))
                    .until(() -> !status(runId).get("state").asText().equals("running"));
            JsonNode done = status(runId);
            assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("completed");
            assertThat(done.get("step").asLong()).isEqualTo(14);
            assertThat(done.get("checkpointStale").asBoolean())
                    .as("completed, but its final checkpoint was not written")
                    .isTrue();
            assertThat(done.get("latestCheckpointStep").asLong()).isLessThan(14);
            assertThat(done.get("lastWriteError").get("file").asText()).isEqualTo("report");
            assertThat(done.get("writeFailures").asLong()).isGreaterThanOrEqualTo(stepAtBreak > 0 ? 5 : 1);
        }
        String scrape = Http.get(uri("/actuator/prometheus")).body();
        for (String file : List.of("checkpoint", "metrics.jsonl", "report")) {
            assertThat(counter(scrape, runId, file)).as(file).isPositive();
        }
    }

    @Test
    void onlyTheNewestCheckpointsAndTheBestAreKept() throws Exception {
        String runId = start(RUN.formatted(8));
        await().atMost(Duration.ofMinutes(3))
                .until(() -> !status(runId).get("state").asText().equals("running"));
        JsonNode done = status(runId);
        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("completed");
        assertThat(done.get("checkpointStale").asBoolean()).isFalse();
        List<String> left;
        try (Stream<Path> dirs = Files.list(RUNS.resolve(runId).resolve("checkpoints"))) {
            left = dirs.map(p -> p.getFileName().toString()).sorted().toList();
        }
        // checkpoints at 2, 4, 6, 8: the newest two stay, and the best held-out one if it is older
        assertThat(left).contains("step-000006", "step-000008").hasSizeBetween(2, 3);
        assertThat(done.get("latestCheckpointStep").asLong()).isEqualTo(8);
    }

    private String start(String body) {
        Http.Response r = Http.post(uri("/v1/runs"), body, CONTROL);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("runId").asText();
    }

    /** The run's step; fails at once when the run is no longer running (a write failure must not end it). */
    private long runningStep(String runId) {
        JsonNode s = status(runId);
        assertThat(s.get("state").asText()).as(s.toString()).isEqualTo("running");
        return s.get("step").asLong();
    }

    private JsonNode status(String runId) {
        return Http.get(uri("/v1/runs/" + runId)).json();
    }

    /** The run's own counter: every run has its series (tagged with its id), and ended runs' linger here. */
    private static double counter(String scrape, String runId, String file) {
        Matcher m = Pattern.compile("(?m)^gspo_run_file_write_failures_total\\{[^}]*file=\"" + Pattern.quote(file)
                        + "\",run=\"" + Pattern.quote(runId) + "\"} (\\S+)$")
                .matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
