package dev.gspo.optimizer.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.common.reward.HttpRewardSpec;
import dev.gspo.common.reward.RewardInput;
import dev.gspo.common.reward.RewardScores;
import dev.gspo.optimizer.support.RewardContract;
import dev.gspo.optimizer.support.RewardServer;
import dev.gspo.optimizer.support.RewardServer.Reply;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The reward server client against a real HTTP server on 127.0.0.1. */
class RemoteRewardClientTest {
    private static final String TOKEN = "Kp3Vt8Rw1Qz6Lm9Xc2Bn5Hd7";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<RewardServer> servers = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(RewardServer::close);
    }

    private RewardServer server(RewardServer.Handler handler) {
        RewardServer s = RewardServer.start(handler);
        servers.add(s);
        return s;
    }

    /** A client of {@code url} with the given settings; the token of secret "grader" is {@link #TOKEN}. */
    private static RemoteRewardClient client(
            String url, String secret, double timeoutSeconds, int batchSize, int concurrency, int attempts) {
        HttpRewardSpec spec =
                new HttpRewardSpec("grader", 1.0, url, secret, timeoutSeconds, batchSize, concurrency, attempts);
        return new RemoteRewards(HTTP, Map.of("grader", TOKEN), Duration.ofMillis(10)).client(spec);
    }

    private static RemoteRewardClient client(RewardServer s, int attempts) {
        return client(s.url().toString(), "grader", 5, 64, 4, attempts);
    }

    private static List<RewardInput> inputs(int n) {
        return IntStream.range(0, n)
                .mapToObj(i -> new RewardInput(
                        "1-" + i + "-0",
                        i + "+1=",
                        Integer.toString(i + 1),
                        Integer.toString(i % 2 == 0 ? i + 1 : -1),
                        2,
                        Map.of("exampleId", "addition:" + i + "+1", "step", 1L, "responseTokens", 2)))
                .toList();
    }

    /** 1 if the response equals the answer. */
    private static double exact(JsonNode item) {
        return item.get("response").asText().equals(item.get("answer").asText()) ? 1.0 : 0.0;
    }

    @Test
    void sendsTheContractsRequestInBatchesWithTheTokenAndMatchesTheScoresById() {
        RewardServer s = server(r -> RewardServer.scoring(r, RemoteRewardClientTest::exact));

        RewardScores scores = client(s.url().toString(), "grader", 5, 3, 2, 1).score(inputs(7));

        assertThat(scores.scores()).containsExactly(1, 0, 1, 0, 1, 0, 1);
        List<RewardServer.Received> requests = s.received();
        assertThat(requests).hasSize(3);
        assertThat(requests.stream().map(r -> r.json().get("items").size())).containsExactlyInAnyOrder(3, 3, 1);
        for (RewardServer.Received r : requests) {
            assertThat(r.header("Authorization")).isEqualTo("Bearer " + TOKEN);
            assertThat(r.header("Gspo-Reward-Api")).isEqualTo("v1");
            assertThat(r.header("Content-Type")).isEqualTo("application/json");
            assertThat(RewardContract.requestProblems(r.json())).isEmpty();
        }
        JsonNode first = requests.stream()
                .map(RewardServer.Received::json)
                .filter(j -> j.get("items").get(0).get("id").asText().equals("1-0-0"))
                .findFirst()
                .orElseThrow()
                .get("items")
                .get(0);
        assertThat(first.toString())
                .isEqualTo("{\"id\":\"1-0-0\",\"prompt\":\"0+1=\",\"response\":\"1\",\"answer\":\"1\","
                        + "\"metadata\":" + first.get("metadata") + "}");
        assertThat(first.get("metadata").get("exampleId").asText()).isEqualTo("addition:0+1");
    }

    @Test
    void sendsNoAuthorizationHeaderWithoutATokenSecret() {
        RewardServer s = server(r -> RewardServer.scoring(r, RemoteRewardClientTest::exact));

        client(s.url().toString(), null, 5, 64, 1, 1).score(inputs(2));

        assertThat(s.received().getFirst().header("Authorization")).isNull();
    }

    @Test
    void neverHasMoreThanMaxConcurrencyRequestsInFlight() {
        RewardServer s = server(r -> {
            Reply scored = RewardServer.scoring(r, item -> 1.0);
            return new Reply(200, scored.body(), 150);
        });

        client(s.url().toString(), "grader", 5, 1, 3, 1).score(inputs(9));

        assertThat(s.received()).hasSize(9);
        assertThat(s.peakInFlight()).isEqualTo(3);
    }

    @Test
    void reportsComponentsAndLeavesNaNWhereAnItemHasNone() {
        RewardServer s = server(r -> Reply.ok("""
                {"scores":[{"id":"1-0-0","score":0.5,"components":{"correct":1,"style":0.25}},
                           {"id":"1-1-0","score":0.0,"extra":"ignored"}]}"""));

        RewardScores scores = client(s, 1).score(inputs(2));

        assertThat(scores.scores()).containsExactly(0.5, 0.0);
        assertThat(scores.components()).containsOnlyKeys("correct", "style");
        assertThat(scores.components().get("correct")).containsExactly(1.0, Double.NaN);
    }

    @Test
    void triesServerErrorsAgainAndSucceeds() {
        AtomicInteger calls = new AtomicInteger();
        RewardServer s = server(r -> calls.incrementAndGet() < 3
                ? new Reply(503, "{\"error\":\"warming up\"}", 0)
                : RewardServer.scoring(r, item -> 1.0));

        assertThat(client(s, 3).score(inputs(2)).scores()).containsExactly(1.0, 1.0);
        assertThat(calls).hasValue(3);
    }

    @Test
    void failsAfterItsAttemptsNamingTheFunctionTheUrlAndTheLastError() {
        RewardServer s = server(r -> new Reply(500, "{\"error\":\"grader\ncrashed\"}", 0));

        assertThatThrownBy(() -> client(s, 3).score(inputs(2)))
                .isInstanceOf(RewardException.class)
                .hasMessage("reward function 'grader': POST " + s.url()
                        + " failed: HTTP 500: {\"error\":\"grader crashed\"} (3 attempts)");
        assertThat(s.received()).hasSize(3);
    }

    @Test
    void doesNotTryAClientErrorAgain() {
        RewardServer s = server(r -> new Reply(400, "{\"error\":\"no field 'items'\"}", 0));

        assertThatThrownBy(() -> client(s, 3).score(inputs(2)))
                .hasMessageEndingWith("failed: HTTP 400: {\"error\":\"no field 'items'\"}");
        assertThat(s.received()).hasSize(1);
    }

    @Test
    void aRefusedTokenIsNamedAsSuchAndNeverQuoted() {
        RewardServer s = server(r -> new Reply(401, "bad token " + r.header("Authorization"), 0));

        assertThatThrownBy(() -> client(s, 3).score(inputs(1)))
                .hasMessageContaining("HTTP 401 (the server refused the token): bad token Bearer ***")
                .message()
                .doesNotContain(TOKEN.substring(0, 8));
    }

    @Test
    void aServerThatDoesNotAnswerInTimeIsTriedAgainThenFails() {
        RewardServer s = server(r -> new Reply(200, "{\"scores\":[]}", 2_000));

        long start = System.nanoTime();
        assertThatThrownBy(() ->
                        client(s.url().toString(), "grader", 0.3, 64, 1, 2).score(inputs(1)))
                .hasMessageEndingWith("failed: no complete answer within 0.3 s (2 attempts)");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1_800));
    }

    @Test
    void theTimeoutCoversTheBodyNotOnlyTheHeaders() {
        RewardServer s =
                server(r -> new Reply(200, RewardServer.scoring(r, item -> 1.0).body(), 0, 2_000));

        assertThatThrownBy(() ->
                        client(s.url().toString(), "grader", 0.3, 64, 1, 1).score(inputs(1)))
                .hasMessageEndingWith("failed: no complete answer within 0.3 s");
    }

    @Test
    void anUnreachableServerFailsWithTheConnectionError() throws IOException {
        String url = "http://127.0.0.1:" + freePort() + "/v1/score";

        assertThatThrownBy(() -> client(url, "grader", 5, 64, 1, 2).score(inputs(1)))
                .hasMessageStartingWith("reward function 'grader': POST " + url + " failed: ConnectException")
                .hasMessageEndingWith("(2 attempts)");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "`<html>oops</html>`"
                        + "| not JSON (Unexpected character ('<' (code 60)): expected a valid value (JSON String, Number, "
                        + "Array, Object or token 'null', 'true' or 'false')): <html>oops</html>",
                "`{\"score\":1}`| expected an object with a \"scores\" array, got {\"score\":1}",
                "`{\"scores\":[{\"id\":\"1-0-0\",\"score\":\"high\"}]}`| scores[0].score: expected a finite number, got \"high\"",
                "`{\"scores\":[{\"id\":\"1-0-0\"}]}`| scores[0].score: expected a finite number, got nothing",
                "`{\"scores\":[{\"id\":\"1-0-0\",\"score\":1e999}]}`| scores[0].score: expected a finite number, got one beyond a double's range",
                "`{\"scores\":[{\"score\":1}]}`| scores[0]: expected an object with a string \"id\", got {\"score\":1}",
                "`{\"scores\":[{\"id\":\"1-0-0\",\"score\":1},{\"id\":\"9-9-9\",\"score\":1}]}`"
                        + "| scores[1].id: '9-9-9' was not in the request",
                "`{\"scores\":[{\"id\":\"1-0-0\",\"score\":1},{\"id\":\"1-0-0\",\"score\":0}]}`"
                        + "| scores[1].id: '1-0-0' is scored twice",
                "`{\"scores\":[]}`| no score for id '1-0-0' and 1 more of the 2 items sent",
                "`{\"scores\":[{\"id\":\"1-0-0\",\"score\":1,\"components\":{\"c\":\"x\"}},{\"id\":\"1-1-0\",\"score\":1}]}`"
                        + "| scores[0].components.c: expected a finite number, got \"x\"",
                "`{\"scores\":[{\"id\":\"1-0-0\",\"score\":1,\"components\":[1]},{\"id\":\"1-1-0\",\"score\":1}]}`"
                        + "| scores[0].components: expected an object of numbers, got [1]",
            })
    void aMalformedAnswerFailsAtOnceSayingWhatIsWrong(String body, String problem) {
        RewardServer s = server(r -> Reply.ok(body));

        assertThatThrownBy(() -> client(s, 3).score(inputs(2)))
                .isInstanceOf(RewardException.class)
                .hasMessage(
                        "reward function 'grader': POST " + s.url() + " answered with a malformed body: " + problem);
        assertThat(s.received()).as("not tried again").hasSize(1);
    }

    @Test
    void moreThanSixteenComponentNamesAreRefused() {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 17; i++) {
            many.append(i == 0 ? "" : ",").append("\"c").append(i).append("\":1");
        }
        RewardServer s =
                server(r -> Reply.ok("{\"scores\":[{\"id\":\"1-0-0\",\"score\":1,\"components\":{" + many + "}}]}"));

        assertThatThrownBy(() -> client(s, 1).score(inputs(1)))
                .hasMessageEndingWith("scores[0].components: more than 16 distinct names");
    }

    @Test
    void theProbeSendsAnEmptyBatchAndSaysWhatIsWrongWithTheAnswer() throws IOException {
        RewardServer good = server(r -> RewardServer.scoring(r, item -> 1.0));
        assertThat(client(good, 1).probe()).isNull();
        assertThat(good.received().getFirst().body()).isEqualTo("{\"items\":[]}");

        RewardServer missing = server(r -> new Reply(404, "no such path", 0));
        assertThat(client(missing, 1).probe())
                .isEqualTo("the reward server " + missing.url() + " answered HTTP 404 to an empty batch: no such path");

        RewardServer html = server(r -> Reply.ok("<html/>"));
        assertThat(client(html, 1).probe()).contains("answered with a malformed body: not JSON");

        String closed = "http://127.0.0.1:" + freePort() + "/v1/score";
        assertThat(client(closed, null, 5, 64, 1, 1).probe())
                .startsWith("cannot reach the reward server " + closed + ": ConnectException");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
