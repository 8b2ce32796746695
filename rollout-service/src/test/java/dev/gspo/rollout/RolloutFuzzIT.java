package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.testing.JsonFuzz;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Property-style fuzzing of {@code POST /v1/rollouts}: 150 seeded hostile bodies (wrong types, extreme numbers, huge
 * strings, deep nesting, unknown fields, broken JSON). Whatever arrives, the answer is a 2xx or a 4xx problem, never a
 * 5xx, every request returns (the client's timeout would fail the test), and the service still answers a valid request
 * correctly afterwards.
 */
@RolloutIT
class RolloutFuzzIT {
    private static final String VALID = """
            {"prompts":[{"id":"p1","tokenIds":[1,4,5]},{"id":"p2","text":"12+3="}],"groupSize":2,
             "sampling":{"maxNewTokens":4,"temperature":1.0,"topP":0.9,"topK":5,"seed":7,"stop":["\\n"]},
             "minPolicyVersion":0}""";

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
        HttpResponse<String> ok = client.post("/v1/rollouts", "application/json", VALID);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(TestClient.tree(ok.body()).get("groups")).hasSize(2);
        assertThat(client.get("/actuator/health/readiness").statusCode()).isEqualTo(200);
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
