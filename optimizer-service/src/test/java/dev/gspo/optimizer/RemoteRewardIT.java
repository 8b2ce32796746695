package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.common.testing.JsonFuzz;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.RewardContract;
import dev.gspo.optimizer.support.RewardServer;
import dev.gspo.optimizer.support.RewardServer.Reply;
import dev.gspo.optimizer.support.RolloutReplica;
import dev.gspo.optimizer.support.TestCertificates;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Rewards as configuration, through the real API: a run whose reward is a weighted sum of an {@code http} function and
 * built-in ones, against a real reward server on 127.0.0.1 that serves https with a certificate of a throw-away private
 * CA (trusted through {@code gspo.optimizer.reward.ssl-bundle}, as docs/TLS.md sets up the fleet) and requires a bearer
 * token (the optimizer's {@code gspo.optimizer.reward.tokens.grader}). Bad reward configs are refused at
 * {@code POST /v1/runs}; a reward server that fails mid-run fails the run, which then resumes.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.push-token=" + RolloutReplica.PUSH_TOKEN,
            "gspo.optimizer.control-token=" + RemoteRewardIT.CONTROL,
            "gspo.optimizer.reward.ssl-bundle=rewards",
            "gspo.optimizer.reward.tokens.grader=" + RemoteRewardIT.TOKEN,
            "gspo.optimizer.reward.tokens.other=" + RemoteRewardIT.OTHER_TOKEN,
            "gspo.optimizer.request-timeout=30s",
            "gspo.optimizer.publish-timeout=10s",
            "gspo.optimizer.max-attempts=2",
            "gspo.optimizer.run-metrics-linger=10m", // a finished run's series stay while the test reads them
            "logging.level.gspo.progress=WARN"
        })
@ExtendWith(OutputCaptureExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DirtiesContext
class RemoteRewardIT {
    static final String CONTROL = "reward-it-control-token";
    /** Random like a real token, so that any 8 characters of it are distinctive. */
    static final String TOKEN = "Rq7Wm2Xe9Tb4Kc1Vn6Hs3Jd8";

    static final String OTHER_TOKEN = "Gf5Pz0Ly3Ua8Mi1Ok6Eq9Nw4";
    private static final List<String> TOKEN_PIECES = Stream.of(TOKEN, OTHER_TOKEN)
            .flatMap(t ->
                    java.util.stream.IntStream.rangeClosed(0, t.length() - 8).mapToObj(i -> t.substring(i, i + 8)))
            .toList();

    private static TestCertificates certificates;
    private static RewardServer grader;
    private static RolloutReplica replica;
    private static Path runs;
    /** When true, the grader answers 500 to any batch of step 2. */
    private static volatile boolean failStepTwo;

    @Value("${local.server.port}")
    int port;

    @DynamicPropertySource
    static void setUp(DynamicPropertyRegistry registry) throws IOException {
        if (grader == null) {
            Path dir = Files.createTempDirectory("gspo-reward-it");
            certificates = TestCertificates.create(dir.resolve("pki"), "ip:127.0.0.1");
            grader = RewardServer.startHttps(
                    RemoteRewardIT::grade, certificates.serverCertificate(), certificates.serverKey());
            replica = RolloutReplica.start();
            runs = dir.resolve("runs");
        }
        registry.add("gspo.optimizer.rollout-urls", () -> replica.url().toString());
        registry.add(
                "spring.ssl.bundle.pem.rewards.truststore.certificate", () -> "file:" + certificates.caCertificate());
        registry.add("gspo.optimizer.checkpoint-dir", runs::toString);
    }

    @AfterAll
    static void stopServers() {
        grader.close();
        replica.close();
    }

    /** The reward server: the token, then 1 for a response that equals the answer (reported as "correct" too). */
    private static Reply grade(RewardServer.Received r) {
        if (!("Bearer " + TOKEN).equals(r.header("Authorization"))) {
            return new Reply(401, "{\"error\":\"bad token\"}", 0);
        }
        for (JsonNode item : r.json().get("items")) {
            if (failStepTwo && item.get("id").asText().startsWith("2-")) {
                return new Reply(500, "{\"error\":\"grader crashed\"}", 0);
            }
        }
        return RewardServer.scoring(
                r,
                item -> item.get("response").asText().equals(item.get("answer").asText()) ? 1.0 : 0.0,
                "correct");
    }

    private static String http(String extra) {
        return "{\"fn\":\"http\",\"name\":\"grader\",\"url\":\"" + grader.url()
                + "\",\"tokenSecret\":\"grader\",\"batchSize\":3,\"maxAttempts\":2" + extra + "}";
    }

    private static String run(int steps, int evalSize, String rewards) {
        return """
                {"steps":%d,"seed":3,"sampling":{"promptsPerStep":4,"groupSize":2,"maxNewTokens":4},
                 "optimizer":{"miniBatches":1},"eval":{"size":%d,"every":1},"checkpointing":{"every":100},
                 "rewards":%s}""".formatted(steps, evalSize, rewards);
    }

    @Test
    @Order(1)
    void badRewardConfigsAreRefusedWithAProblemThatNamesTheField() throws IOException {
        assertProblem(
                "[{\"fn\":\"bleu\"}]",
                400,
                "rewards[0].fn: unknown reward function 'bleu'; known functions: task, exact, math, regex, choice, "
                        + "format, length, http");
        assertProblem(
                "[{\"weight\":1}]",
                400,
                "rewards[0].fn: required; known functions: task, exact, math, regex, "
                        + "choice, format, length, http");
        assertProblem(
                "[{\"fn\":\"math\"},{\"fn\":\"regex\",\"pattern\":\"(unclosed\"}]",
                422,
                "rewards[1].pattern: not a valid regular expression: Unclosed group at index 9");
        assertProblem(
                "[{\"fn\":\"math\",\"weight\":1000}]",
                422,
                "rewards[0].weight: must be in [-100.0, 100.0], got 1000.0");
        assertProblem(
                "[{\"fn\":\"math\",\"weight\":0}]",
                422,
                "rewards: every weight is 0; at least one function must count towards the reward");
        assertProblem(
                "[{\"fn\":\"math\",\"weight\":\"heavy\"}]",
                400,
                "rewards[0].weight: expected a number, got a " + "value of another type");
        assertProblem("{\"fn\":\"math\"}", 400, "rewards: expected an array, got a value of another type");

        String closed = "http://127.0.0.1:" + freePort() + "/v1/score";
        assertProblem(
                "[{\"fn\":\"http\",\"url\":\"" + closed + "\"}]",
                422,
                "rewards[0].url: cannot reach the reward server " + closed + ": ConnectException");
        assertProblem(
                "[{\"fn\":\"http\",\"url\":\"" + grader.url() + "\",\"tokenSecret\":\"nosuch\"}]",
                422,
                "rewards[0].tokenSecret: no secret 'nosuch' is configured; set gspo.optimizer.reward.tokens.nosuch "
                        + "(environment: GSPO_OPTIMIZER_REWARD_TOKENS_NOSUCH)");
        assertProblem(
                "[{\"fn\":\"http\",\"url\":\"" + grader.url() + "\",\"tokenSecret\":\"other\"}]",
                422,
                "rewards[0].url: the reward server " + grader.url() + " answered HTTP 401 to an empty batch (the "
                        + "server refused the token): {\"error\":\"bad token\"}");
        assertProblem(
                "[{\"fn\":\"http\",\"url\":\"https://user:pw@127.0.0.1:1/v1/score\"}]",
                422,
                "rewards[0].url: must not carry credentials (user-info); name a token with tokenSecret");

        // a server whose certificate the reward SSL bundle's CA did not sign is refused, with the TLS error
        TestCertificates otherCa =
                TestCertificates.create(Files.createTempDirectory("gspo-reward-it-other-ca"), "ip:127.0.0.1");
        try (RewardServer stranger = RewardServer.startHttps(
                r -> RewardServer.scoring(r, item -> 1.0), otherCa.serverCertificate(), otherCa.serverKey())) {
            Http.Response r = Http.post(
                    optimizer("/v1/runs"),
                    run(1, 0, "[{\"fn\":\"http\",\"url\":\"" + stranger.url() + "\"}]"),
                    CONTROL);
            assertThat(r.status()).isEqualTo(422);
            assertThat(r.json().get("detail").asText())
                    .startsWith("rewards[0].url: cannot reach the reward server " + stranger.url()
                            + ": SSLHandshakeException")
                    .contains("PKIX path");
            assertThat(stranger.received()).isEmpty();
        }
    }

    @Test
    @Order(2)
    void aRunTrainsOnTheWeightedSumOfARemoteAndBuiltInRewardsAndReportsEachFunction(CapturedOutput output)
            throws IOException {
        int before = grader.received().size();
        String runId = start(run(
                2,
                6,
                "[" + http("") + ",{\"fn\":\"regex\",\"pattern\":\"\\\\d\",\"weight\":2},"
                        + "{\"fn\":\"length\",\"weight\":0.1,\"maxTokens\":4,\"cacheTokens\":2}]"));
        JsonNode done = awaitEnd(runId);
        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("completed");

        JsonNode steps =
                Http.get(optimizer("/v1/runs/" + runId + "/metrics")).json().get("steps");
        assertThat(steps).hasSize(2);
        for (JsonNode m : steps) {
            JsonNode r = m.get("rewards");
            List<String> names = new ArrayList<>();
            r.fieldNames().forEachRemaining(names::add);
            assertThat(names).containsExactly("grader", "regex", "length", "grader.correct");
            assertThat(m.get("rewardMean").asDouble())
                    .as("the mean of weighted sums is the weighted sum of the means")
                    .isCloseTo(
                            r.get("grader").asDouble()
                                    + 2 * r.get("regex").asDouble()
                                    + 0.1 * r.get("length").asDouble(),
                            within(1e-9));
            assertThat(m.get("accuracy").asDouble())
                    .as("correct = the first function scores 1 (a wrong answer with a digit has a sum ≥ 1.9)")
                    .isEqualTo(r.get("grader").asDouble());
            assertThat(r.get("grader.correct").asDouble())
                    .isEqualTo(r.get("grader").asDouble());
        }

        List<RewardServer.Received> requests =
                grader.received().subList(before, grader.received().size());
        assertThat(requests.getFirst().body()).as("the probe before the run").isEqualTo("{\"items\":[]}");
        List<String> ids = new ArrayList<>();
        for (RewardServer.Received r : requests) {
            assertThat(r.header("Gspo-Reward-Api")).isEqualTo("v1");
            assertThat(RewardContract.requestProblems(r.json())).isEmpty();
            assertThat(r.json().get("items").size()).isLessThanOrEqualTo(3);
            r.json().get("items").forEach(item -> ids.add(item.get("id").asText()));
        }
        assertThat(ids)
                .as("8 samples per step, and the held-out answers of the primary function")
                .contains("1-0-0", "1-3-1", "2-3-1", "heldout-0-0", "heldout-2-5")
                .doesNotHaveDuplicates()
                .hasSize(2 * 8 + 3 * 6);

        String scrape = Http.get(optimizer("/actuator/prometheus")).body();
        for (String fn : List.of("grader", "regex", "length", "grader.correct")) {
            assertThat(scrape)
                    .containsPattern("(?m)^gspo_train_reward\\{application=\"optimizer-service\",fn=\""
                            + fn.replace(".", "\\.") + "\",run=\"" + runId + "\"} \\S+$");
        }
        assertThat(scrape).contains("# HELP gspo_train_reward mean score");

        Path report = runs.resolve(runId).resolve("report").resolve("report.md");
        assertThat(Files.readString(report))
                .contains(
                        "## Reward functions", "| grader | http | 1 |", "| regex | regex | 2 |", "| grader.correct |");
        assertThat(done.get("config").get("rewards").get(0).get("tokenSecret").asText())
                .isEqualTo("grader");
        assertNoTokenIn(output);
    }

    @Test
    @Order(3)
    void aRewardServerThatFailsMidRunFailsTheRunNamingTheUrlAndTheRunResumesWithoutLosingAStep(CapturedOutput output)
            throws IOException {
        failStepTwo = true;
        String runId = start(run(3, 0, "[" + http("") + "]"));
        JsonNode failed = awaitEnd(runId);

        assertThat(failed.get("state").asText()).as(failed.toString()).isEqualTo("failed");
        assertThat(failed.get("error").asText())
                .isEqualTo("RewardException: reward function 'grader': POST " + grader.url()
                        + " failed: HTTP 500: {\"error\":\"grader crashed\"} (2 attempts)");
        assertThat(failed.get("step").asLong()).isEqualTo(1);
        assertThat(failed.path("lastCheckpoint").asText())
                .as("checkpointing.every is 100: step 1 was checkpointed when step 2's rewards failed")
                .endsWith("step-000001");

        failStepTwo = false;
        assertThat(start("{\"resumeFrom\":\"" + runId + "\",\"steps\":3}")).isEqualTo(runId);
        JsonNode done = awaitEnd(runId);
        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("completed");
        JsonNode steps =
                Http.get(optimizer("/v1/runs/" + runId + "/metrics")).json().get("steps");
        assertThat(steps.findValues("step").stream().map(JsonNode::asLong)).containsExactly(1L, 2L, 3L);
        assertThat(done.get("lastCheckpoint").asText()).endsWith("step-000003");
        assertNoTokenIn(output);
    }

    /** Hostile variations of a config with every built-in function: never a 5xx, always a problem or a run. */
    @Test
    @Order(4)
    void hostileRewardSectionsAreNeverServerErrors() {
        JsonFuzz fuzz = new JsonFuzz(11L, """
                {"steps":1,"sampling":{"promptsPerStep":2,"groupSize":2,"maxNewTokens":3},"eval":{"size":0},
                 "rewards":[{"fn":"math"},{"fn":"regex","pattern":"\\\\d+","score":0.5},{"fn":"choice","letters":"ABCD"},
                            {"fn":"format","weight":0.2},{"fn":"length","maxTokens":3,"cacheTokens":1},
                            {"fn":"exact","normalize":false,"name":"strict"},{"fn":"task","weight":0}]}""");
        int problems = 0;
        for (int i = 0; i < 80; i++) {
            String body = i % 2 == 0 ? fuzz.next() : fuzzRewards(fuzz.next(), i);
            Http.Response r = Http.post(optimizer("/v1/runs"), body, CONTROL);
            assertThat(r.status()).as("case %d: %s → %s", i, body, r.body()).isLessThan(500);
            if (r.status() >= 400) {
                problems++;
                assertThat(r.contentType()).startsWith("application/problem+json");
                assertThat(r.body()).doesNotContain("Exception", "\tat ");
            } else {
                String runId = r.json().get("runId").asText();
                Http.post(optimizer("/v1/runs/" + runId + "/stop"), "", CONTROL);
                awaitEnd(runId);
            }
        }
        assertThat(problems).isPositive();
    }

    /** Replaces one reward function of a fuzzed body (when it has any) with a hostile one. */
    private static String fuzzRewards(String body, int seed) {
        List<String> hostile = List.of(
                "null",
                "[]",
                "{}",
                "{\"fn\":null}",
                "{\"fn\":\"regex\",\"pattern\":\"" + "(".repeat(5000) + "\"}",
                "{\"fn\":\"regex\",\"pattern\":\"x\",\"score\":1e400}",
                "{\"fn\":\"length\",\"maxTokens\":-1,\"cacheTokens\":99999999999}",
                "{\"fn\":\"choice\",\"letters\":\"\u00e9\"}",
                "{\"fn\":\"format\",\"pattern\":\"\"}",
                "{\"fn\":\"math\",\"name\":\"" + "n".repeat(100) + "\"}",
                "{\"fn\":\"http\",\"url\":\"http://[::1\"}",
                "{\"fn\":\"http\",\"url\":\"file:///etc/passwd\"}",
                "{\"fn\":\"math\",\"weight\":\"NaN\"}");
        String replacement = hostile.get(seed % hostile.size());
        return body.replaceFirst("\\{\"fn\":\"math\"\\}", java.util.regex.Matcher.quoteReplacement(replacement));
    }

    /** No piece of either token in any answer of the API, in the run files on disk or in the log output. */
    private void assertNoTokenIn(CapturedOutput output) throws IOException {
        StringBuilder seen = new StringBuilder();
        for (String path : List.of("/v1/runs", "/actuator/prometheus", "/v3/api-docs")) {
            seen.append(Http.get(optimizer(path)).body());
        }
        for (JsonNode run : Http.get(optimizer("/v1/runs")).json().get("runs")) {
            String id = run.get("runId").asText();
            seen.append(Http.get(optimizer("/v1/runs/" + id)).body());
            seen.append(Http.get(optimizer("/v1/runs/" + id + "/metrics")).body());
        }
        try (Stream<Path> files = Files.walk(runs)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                seen.append(f).append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
            }
        }
        assertThat(seen).contains("trainer_state.json", "report.md", "\"tokenSecret\"");
        seen.append(output.getAll());
        assertThat(TOKEN_PIECES.stream().filter(piece -> seen.indexOf(piece) >= 0))
                .as("token pieces in answers, run files or logs")
                .isEmpty();
    }

    private void assertProblem(String rewards, int status, String detail) {
        Http.Response r = Http.post(optimizer("/v1/runs"), run(1, 0, rewards), CONTROL);
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.json().get("detail").asText()).startsWith(detail);
    }

    private String start(String json) {
        Http.Response r = Http.post(optimizer("/v1/runs"), json, CONTROL);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("runId").asText();
    }

    private JsonNode awaitEnd(String runId) {
        await().atMost(Duration.ofMinutes(4))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !status(runId).get("state").asText().equals("running"));
        return status(runId);
    }

    private JsonNode status(String runId) {
        return Http.get(optimizer("/v1/runs/" + runId)).json();
    }

    private URI optimizer(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
