package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.common.testing.JsonFuzz;
import dev.gspo.common.testing.RawHttp;
import dev.gspo.common.testing.RequestFuzz;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Property-style fuzzing of the whole service. {@code POST /v1/rollouts} gets 150 seeded hostile bodies (wrong
 * types, extreme numbers, huge strings, deep nesting, unknown fields, broken JSON); every endpoint gets the request
 * shapes of an attack on a running replica (each of which was a 500 with a stack trace in the log) and 300 seeded
 * hostile requests around them ({@link RequestFuzz}: odd path characters, multipart without a boundary, overlong
 * headers, lying lengths, wrong methods). Whatever arrives, the answer is a 2xx or a 4xx {@code application/problem+json}
 * with the status and a detail, never a 5xx or a stack trace, nothing is logged at WARN or ERROR, every request
 * returns (the client's timeout would fail the test), and the service still answers a valid request correctly.
 */
@RolloutIT
@ExtendWith(OutputCaptureExtension.class)
class RolloutFuzzIT {
    private static final String VALID = """
            {"prompts":[{"id":"p1","tokenIds":[1,4,5]},{"id":"p2","text":"12+3="}],"groupSize":2,
             "sampling":{"maxNewTokens":4,"temperature":1.0,"topP":0.9,"topK":5,"seed":7,"stop":["\\n"]},
             "minPolicyVersion":0}""";
    private static final List<String> PATHS = List.of(
            "/v1/rollouts",
            "/v1/policy",
            "/v1/policy/weights",
            "/actuator/health",
            "/actuator/health/readiness",
            "/actuator/prometheus",
            "/v3/api-docs",
            "/error",
            "/",
            "/v1/nothing");
    /** A log line at WARN or ERROR, or a stack-trace line. */
    private static final Pattern LOUD = Pattern.compile("(?m)^\\S+\\s+(WARN|ERROR)\\s|^\\s+at [a-z]");

    @LocalServerPort
    int port;

    @Test
    void hostileBodiesAreNeverServerErrorsAndTheServiceKeepsWorking() {
        TestClient client = new TestClient(port);
        JsonFuzz fuzz = new JsonFuzz(20261123L, VALID);
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < 150; i++) {
            String body = fuzz.next();
            HttpResponse<String> r = client.post("/v1/rollouts", "application/json", body);
            statuses.merge(r.statusCode(), 1, Integer::sum);
            assertThat(r.statusCode())
                    .as("case %d: %s → %s", i, abbreviate(body), r.body())
                    .isLessThan(500);
            if (r.statusCode() >= 400) {
                assertThat(r.headers().firstValue("Content-Type").orElse(""))
                        .as("case %d", i)
                        .startsWith("application/problem+json");
                assertThat(r.body()).as("case %d", i).doesNotContain("Exception", "\tat ");
            }
        }
        assertThat(statuses.keySet())
                .as("the fuzzer reached both accepted and refused bodies: %s", statuses)
                .anyMatch(s -> s == 200)
                .anyMatch(s -> s == 400);
        stillAnswersCorrectly(client);
    }

    /** A key written twice was silently read as its last value. */
    @Test
    void bodiesWithADuplicateKeyAreRefusedNamingTheKey() {
        TestClient client = new TestClient(port);
        JsonFuzz fuzz = new JsonFuzz(20261204L, VALID);
        for (int i = 0; i < 40; i++) {
            String body = fuzz.duplicateKey();
            HttpResponse<String> r = client.post("/v1/rollouts", "application/json", body);
            assertThat(r.statusCode()).as("case %d: %s → %s", i, body, r.body()).isEqualTo(400);
            JsonNode error = TestClient.tree(r.body()).path("errors").path(0);
            assertThat(error.path("message").asText())
                    .as("case %d: %s → %s", i, body, r.body())
                    .startsWith("duplicate key '")
                    .endsWith("'");
            String key = error.path("message").asText().replaceAll("^duplicate key '(.*)'$", "$1");
            assertThat(error.path("field").asText()).as("case %d", i).endsWith(key);
            assertThat(body).as("case %d", i).contains("\"" + key + "\":");
            assertThat(r.body()).as("case %d", i).doesNotContain("Exception", "Source:", "\tat ");
        }
        stillAnswersCorrectly(client);
    }

    /** The requests of the attack, one by one: each was a 500 (most with an 8 KB stack trace in the log). */
    @Test
    void theAttacksRequestsAreClientErrorsWithProblemsAndQuietLogs(CapturedOutput output) {
        stillAnswersCorrectly(new TestClient(port)); // the context is up: what is logged from here on is ours
        int logStart = output.getAll().length();
        List<String> cases = new ArrayList<>();
        for (String path : PATHS) {
            for (String method : List.of("GET", "POST", "PUT")) {
                cases.add(method + " " + path + "\r\nContent-Type: multipart/form-data\r\nContent-Length: 3");
            }
        }
        cases.add("GET /v1/policy;a=%");
        cases.add("GET /v1/policy/weights;a=%zz");
        cases.add("POST /v1/rollouts;a=%\r\nContent-Type: application/json\r\nContent-Length: 3");
        cases.add("GET /actuator/health;a=%");
        cases.add("GET /error");
        cases.add("POST /error\r\nContent-Length: 3");
        cases.add("DELETE /error");
        cases.add("GET /error;a=b");
        cases.add("TRACE /v1/policy");
        cases.add("GET /v1/policy%2Fweights");
        cases.add("GET /v1/policy\r\nX-Padding: " + "p".repeat(20_000));
        // an unparseable Accept header made every error an empty 406
        cases.add("POST /v1/rollouts\r\nContent-Type: application/json\r\nAccept: x\r\nContent-Length: 3");
        cases.add("DELETE /v1/policy\r\nAccept: x");
        cases.add("POST /v1/rollouts\r\nContent-Type: text/plain\r\nAccept: x\r\nContent-Length: 3");
        cases.add("POST /v1/rollouts\r\nContent-Type: application/json\r\nContent-Length: 3000000000");
        cases.add("PUT /v1/policy\r\nContent-Type: application/octet-stream\r\nContent-Length: 99999999999999999999");
        cases.add("GET /v1/policy/../../etc/passwd");
        cases.add("GET /actuator/health/nope");
        cases.add("GET /v1/nothing\r\nContent-Type: */*");
        // the form filter read such a body whole before any size limit: answered at once now, the body unread
        cases.add("PUT /v1/policy\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3000000000");
        for (int i = 0; i < cases.size(); i++) {
            String head = cases.get(i).replaceFirst("\r\n|$", " HTTP/1.1\r\nHost: 127.0.0.1$0");
            assertProblemOrSuccess(
                    "case " + i + ": " + abbreviate(cases.get(i)),
                    cases.get(i).startsWith("HEAD"),
                    RawHttp.send(port, head.strip(), "{}\n".getBytes(StandardCharsets.US_ASCII)));
        }
        assertQuietSince(output, logStart);
        stillAnswersCorrectly(new TestClient(port));
    }

    @Test
    void hostileRequestsAreNeverServerErrorsAndAlwaysProblems(CapturedOutput output) {
        stillAnswersCorrectly(new TestClient(port)); // the context is up: what is logged from here on is ours
        int logStart = output.getAll().length();
        RequestFuzz fuzz = new RequestFuzz(20261203L, PATHS, VALID);
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < 300; i++) {
            RequestFuzz.Request request = fuzz.next();
            RawHttp.Response r = RawHttp.send(port, request.head(), request.body());
            statuses.merge(r.status(), 1, Integer::sum);
            assertProblemOrSuccess(
                    "case " + i + ": " + request.describe(), request.method().equals("HEAD"), r);
        }
        System.out.printf("request fuzz: statuses %s%n", statuses);
        assertThat(statuses.keySet())
                .as("the fuzzer reached successes and several client errors: %s", statuses)
                .contains(200, 400, 404, 405)
                .anyMatch(s -> s == 413 || s == 415);
        assertQuietSince(output, logStart);
        stillAnswersCorrectly(new TestClient(port));
    }

    private static void assertProblemOrSuccess(String what, boolean head, RawHttp.Response r) {
        assertThat(r.status()).as("%s → %s", what, r.body()).isLessThan(500);
        if (r.status() < 400) {
            return;
        }
        assertThat(r.contentType()).as("%s → %s", what, r.body()).startsWith("application/problem+json");
        if (head) {
            return; // no body
        }
        JsonNode problem = TestClient.tree(r.body());
        assertThat(problem.path("status").asInt()).as("%s → %s", what, r.body()).isEqualTo(r.status());
        assertThat(problem.path("detail").asText())
                .as("%s → %s", what, r.body())
                .isNotBlank();
        assertThat(r.body()).as(what).doesNotContain("Exception", "\tat ", "Source:");
    }

    private static void stillAnswersCorrectly(TestClient client) {
        HttpResponse<String> ok = client.post("/v1/rollouts", "application/json", VALID);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(TestClient.tree(ok.body()).get("groups")).hasSize(2);
        assertThat(client.get("/actuator/health/readiness").statusCode()).isEqualTo(200);
    }

    /** Nothing at WARN or ERROR and no stack trace in the log since {@code start}: client errors are DEBUG. */
    private static void assertQuietSince(CapturedOutput output, int start) {
        String log = output.getAll().substring(start);
        assertThat(LOUD.matcher(log).results().map(m -> {
                    int end = log.indexOf('\n', m.start());
                    return log.substring(m.start(), end < 0 ? log.length() : end);
                }))
                .as("WARN/ERROR lines or stack traces logged for client errors")
                .isEmpty();
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
