package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.RolloutReplica;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The optimizer's control token and the push token it sends to the replicas never leave it. A real one-step run
 * publishes to two in-process replicas, one of which holds a different push token (so real pushes are refused with
 * 403 and retried), while the run API is called with the right control token and with wrong ones (one character off,
 * one character longer, unrelated, the push token instead). Then every answer, the actuator endpoints, the run's
 * files on disk and the log output of all three contexts (the services' code at TRACE, Spring's web layer at DEBUG)
 * are searched for every 8-character piece of every token.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.push-token=" + SecretsDoNotLeakIT.PUSH,
            "gspo.optimizer.control-token=" + SecretsDoNotLeakIT.CONTROL,
            "gspo.optimizer.max-attempts=2",
            "gspo.optimizer.request-timeout=30s",
            "gspo.optimizer.publish-timeout=10s",
            "logging.level.dev.gspo=TRACE",
            "logging.level.gspo=TRACE",
            "logging.level.org.springframework.web=DEBUG"
        })
@ExtendWith(OutputCaptureExtension.class)
@DirtiesContext
class SecretsDoNotLeakIT {
    /** Random like real tokens ({@code openssl rand}), so that any 8 characters of one are distinctive. */
    static final String PUSH = "Hw4Jt8Pn2Xc6Vb1MqS5dL9fG";

    static final String CONTROL = "Zr5Ld9Qs3Fk7Ty2EpW4hN8jC";
    private static final String OTHER_REPLICAS_PUSH = "Ua8Me4Gw6Ni0Oc3PxR7kB2vZ";
    private static final String CLOSE = CONTROL.substring(0, CONTROL.length() - 1) + "D";
    private static final String LONGER = CONTROL + "0";
    private static final String UNRELATED = "Yh3Nc6Bd1Fs5Gj0QaT7eR2uK";
    /** Every 8-character piece of every token: a partial echo (an abbreviation, a prefix) counts too. */
    private static final List<String> SECRETS = Stream.of(PUSH, CONTROL, OTHER_REPLICAS_PUSH, CLOSE, LONGER, UNRELATED)
            .flatMap(t -> IntStream.rangeClosed(0, t.length() - 8).mapToObj(i -> t.substring(i, i + 8)))
            .distinct()
            .toList();

    private static final String ONE_STEP = """
            {"steps":1,"promptsPerStep":2,"groupSize":2,"miniBatches":1,"maxNewTokens":3,"sftSteps":0,"evalSize":0,
             "evalEvery":1,"checkpointEvery":1,"seed":3}""";
    private static final List<RolloutReplica> REPLICAS = new ArrayList<>();
    private static final Path RUNS = tempDir();

    @Value("${local.server.port}")
    int port;

    @DynamicPropertySource
    static void fleet(DynamicPropertyRegistry registry) {
        if (REPLICAS.isEmpty()) {
            REPLICAS.add(RolloutReplica.start(PUSH));
            REPLICAS.add(RolloutReplica.start(OTHER_REPLICAS_PUSH));
        }
        registry.add(
                "gspo.optimizer.rollout-urls",
                () -> REPLICAS.get(0).url() + "," + REPLICAS.get(1).url());
        registry.add("gspo.optimizer.checkpoint-dir", RUNS::toString);
    }

    /** Logback levels outlive the context, so later tests in this JVM get theirs back. */
    @AfterAll
    static void stopReplicasAndRestoreLogLevels() {
        REPLICAS.forEach(RolloutReplica::close);
        LoggingSystem logging = LoggingSystem.get(SecretsDoNotLeakIT.class.getClassLoader());
        List.of("dev.gspo", "gspo", "org.springframework.web").forEach(name -> logging.setLogLevel(name, null));
    }

    @Test
    void noTokenAppearsInAnswersMetricsActuatorRunFilesOrLogs(CapturedOutput output) throws IOException {
        StringBuilder seen = new StringBuilder();
        for (String wrong : List.of(CLOSE, LONGER, UNRELATED, PUSH)) {
            Http.Response r = Http.post(optimizer("/v1/runs"), ONE_STEP, wrong);
            assertThat(r.status()).as(r.body()).isEqualTo(401);
            append(seen, r);
        }
        append(seen, Http.post(optimizer("/v1/runs"), ONE_STEP, null));
        Http.Response started = Http.post(optimizer("/v1/runs"), ONE_STEP, CONTROL);
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        String runId = started.json().get("runId").asText();
        Http.Response wrongStop = Http.post(optimizer("/v1/runs/" + runId + "/stop"), "", CLOSE);
        assertThat(wrongStop.status()).isEqualTo(401);
        append(seen, wrongStop);
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !status(runId).get("state").asText().equals("running"));
        JsonNode done = status(runId);
        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("completed");

        for (String path : List.of(
                "/v1/runs",
                "/v1/runs/" + runId,
                "/v1/runs/" + runId + "/metrics",
                "/actuator",
                "/actuator/prometheus",
                "/actuator/info",
                "/actuator/health",
                "/actuator/env",
                "/actuator/configprops",
                "/actuator/env/gspo.optimizer.control-token",
                "/v3/api-docs")) {
            append(seen, Http.get(optimizer(path)));
        }
        for (RolloutReplica replica : REPLICAS) {
            for (String path : List.of("/actuator/prometheus", "/v1/policy")) {
                append(seen, Http.get(replica.url().resolve(path)));
            }
        }
        StringBuilder files = new StringBuilder();
        try (Stream<Path> all = Files.walk(RUNS)) {
            for (Path f : all.filter(Files::isRegularFile).toList()) {
                // ISO-8859-1 maps every byte to one char, so binary files are searched byte for byte
                files.append(f).append('\n').append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
            }
        }

        // the search can find what is there: the run, a checkpoint and the refused pushes left their traces
        assertThat(seen).contains(runId, "gspo_weights_publish_failures_total");
        assertThat(publishFailures(Http.get(optimizer("/actuator/prometheus")).body()))
                .as("pushes to the replica holding another token were refused")
                .isPositive();
        assertThat(files).contains("trainer_state.json", "model.safetensors");
        assertThat(output.getAll()).contains(runId);
        assertThat(leaks(seen.toString())).as("token pieces in the answers").isEmpty();
        assertThat(leaks(files.toString())).as("token pieces in the run files").isEmpty();
        assertThat(leaks(output.getAll())).as("token pieces in the log output").isEmpty();
    }

    @Test
    void actuatorExposesOnlyHealthInfoAndPrometheus() {
        JsonNode links = Http.get(optimizer("/actuator")).json().get("_links");
        List<String> names = new ArrayList<>();
        links.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactlyInAnyOrder("self", "health", "health-path", "info", "prometheus");
        for (String hidden : List.of(
                "env",
                "configprops",
                "beans",
                "loggers",
                "heapdump",
                "threaddump",
                "metrics",
                "mappings",
                "shutdown")) {
            assertThat(Http.get(optimizer("/actuator/" + hidden)).status())
                    .as(hidden)
                    .isEqualTo(404);
        }
    }

    private static double publishFailures(String scrape) {
        Matcher m = Pattern.compile("(?m)^gspo_weights_publish_failures_total\\{[^}]*} (\\S+)$")
                .matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** Each token piece found, with the text around its first occurrence. */
    private static List<String> leaks(String text) {
        return SECRETS.stream()
                .filter(text::contains)
                .map(piece -> {
                    int at = text.indexOf(piece);
                    return piece + " in …" + text.substring(Math.max(0, at - 80), Math.min(text.length(), at + 88))
                            + "…";
                })
                .toList();
    }

    private static void append(StringBuilder seen, Http.Response r) {
        seen.append(r.status())
                .append(' ')
                .append(r.contentType())
                .append('\n')
                .append(r.body())
                .append('\n');
    }

    private JsonNode status(String runId) {
        return Http.get(optimizer("/v1/runs/" + runId)).json();
    }

    private URI optimizer(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("gspo-secrets-it");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
