package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.testing.RawHttp;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.support.WeightSets;
import dev.gspo.rollout.weights.PolicyRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * {@code gspo.rollout.api-key}: the full weights download and every other endpoint answered anyone. With a key set,
 * everything but the health probes needs {@code Authorization: Bearer <key>} (any case of the scheme); a weight push
 * may carry the push token instead; no spelling of a path gets through the health exemption.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.rollout.seed=7",
            "gspo.rollout.push-token=" + ApiKeyIT.PUSH_TOKEN,
            "gspo.rollout.api-key=" + ApiKeyIT.API_KEY,
            "logging.level.dev.gspo=WARN"
        })
@DirtiesContext
class ApiKeyIT {
    static final String PUSH_TOKEN = "push-Tq8Wm3Lx6Rb1";
    static final String API_KEY = "key-Hd5Pz2Kc9Vn4";
    private static final String ROLLOUT = "{\"prompts\":[{\"tokenIds\":[1,4]}],\"sampling\":{\"maxNewTokens\":2}}";
    private static final List<String> PROTECTED = List.of(
            "/v1/policy",
            "/v1/policy/weights",
            "/actuator",
            "/actuator/prometheus",
            "/actuator/info",
            "/v3/api-docs",
            "/error",
            "/v1/nothing");

    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    @Test
    void everyEndpointButTheHealthProbesNeedsTheKey() {
        for (String path : PROTECTED) {
            HttpResponse<String> none = get(path, null);
            assertThat(none.statusCode()).as(path).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).as(path).hasValue("Bearer");
            assertThat(none.headers().firstValue("Content-Type")).as(path).hasValue("application/problem+json");
            assertThat(TestClient.tree(none.body()).path("detail").asText()).contains("API key");
            assertThat(get(path, "Basic " + API_KEY).statusCode()).as(path).isEqualTo(401);
            HttpResponse<String> wrong = get(path, "Bearer " + API_KEY + "x");
            assertThat(wrong.statusCode()).as(path).isEqualTo(403);
            assertThat(wrong.body()).doesNotContain(API_KEY);
            assertThat(get(path, "bEaReR " + API_KEY).statusCode()).as(path).isNotIn(401, 403);
        }
        assertThat(get("/v1/policy/weights", "BEARER " + API_KEY).statusCode()).isEqualTo(200);
        assertThat(get("/actuator/prometheus", "Bearer " + API_KEY).body()).contains("gspo_policy_version");
        assertThat(post(ROLLOUT, null).statusCode()).isEqualTo(401);
        assertThat(post(ROLLOUT, "Bearer " + PUSH_TOKEN).statusCode())
                .as("the push token is for pushes only")
                .isEqualTo(403);
        assertThat(post(ROLLOUT, "bearer " + API_KEY).statusCode()).isEqualTo(200);
        for (String probe : List.of("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness")) {
            assertThat(get(probe, null).statusCode()).as(probe).isEqualTo(200);
        }
    }

    @Test
    void aPushMayCarryThePushTokenInsteadOfTheKeyButTheKeyAloneCannotPush() {
        TestClient client = new TestClient(port);
        byte[] body = WeightSets.randomBytes(registry.current().model().config(), 3);
        String sha = PolicyModel.sha256(body);
        String version = Long.toString(registry.current().version() + 1);

        assertThat(client.push(body, version, sha, null).statusCode()).isEqualTo(401);
        HttpResponse<String> keyOnly = client.push(body, version, sha, "Bearer " + API_KEY);
        assertThat(keyOnly.statusCode()).isEqualTo(403);
        assertThat(keyOnly.body()).contains("push token").doesNotContain(API_KEY);
        HttpResponse<String> pushed = client.push(body, version, sha, "BEARER " + PUSH_TOKEN);
        assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
    }

    @Test
    void noSpellingOfAPathReachesAnotherEndpointThroughTheHealthExemption() {
        for (String target : List.of(
                "/actuator/health/../../v1/policy/weights",
                "/actuator/health/..;/..;/v1/policy/weights",
                "/actuator/health/%2e%2e/%2e%2e/v1/policy/weights",
                "/actuator/health;a=b/../../v1/policy",
                "/actuator/health/../prometheus",
                "/actuator/healthz/../prometheus",
                "//actuator/health/../../v1/policy")) {
            RawHttp.Response r = RawHttp.send(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1", new byte[0]);
            assertThat(r.status()).as("%s → %s", target, r.body()).isBetween(400, 499);
            assertThat(r.body()).as(target).doesNotContain("gspo_policy_version", "\"sha256\"");
        }
    }

    private HttpResponse<String> get(String path, String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return new TestClient(port).send(b.GET().build());
    }

    private HttpResponse<String> post(String body, String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/rollouts"))
                .header("Content-Type", "application/json");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return new TestClient(port)
                .send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }
}
