package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.model.PolicyModel;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.support.WeightSets;
import dev.gspo.rollout.weights.PolicyRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The push token and the API key never leave the replica: real pushes with the right token and with wrong ones (one
 * differing only in its last character, one extending it, one unrelated, one sent as Basic credentials), reads with
 * the right API key, wrong ones and none, then every answer, the actuator endpoints, the API document and the whole
 * log output of the context (its own code at TRACE, Spring's web layer at DEBUG) are searched for every 8-character
 * piece of every secret offered.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.rollout.seed=7",
            "gspo.rollout.push-token=" + SecretsDoNotLeakIT.TOKEN,
            "gspo.rollout.api-key=" + SecretsDoNotLeakIT.API_KEY,
            "logging.level.dev.gspo=TRACE",
            "logging.level.org.springframework.web=DEBUG"
        })
@ExtendWith(OutputCaptureExtension.class)
@DirtiesContext
class SecretsDoNotLeakIT {
    /** Random like a real token ({@code openssl rand}), so that any 8 characters of it are distinctive. */
    static final String TOKEN = "Kq7Vx2Zp9Lm4Rt8WbN3cY6hD";

    static final String API_KEY = "Pw4Gn8Jt2Xs6Ec1Mv9Ua5Rk";
    private static final String CLOSE_KEY = API_KEY.substring(0, API_KEY.length() - 1) + "X";

    private static final String CLOSE = TOKEN.substring(0, TOKEN.length() - 1) + "X";
    private static final String LONGER = TOKEN + "0";
    private static final String OTHER = "Yh3Nc6Bd1Fs5Gj0QaT7eR2uK";
    private static final String BASIC =
            Base64.getEncoder().encodeToString(("gspo:" + TOKEN).getBytes(StandardCharsets.UTF_8));
    /** Every 8-character piece of every token offered: a partial echo (an abbreviation, a prefix) counts too. */
    private static final List<String> SECRETS = Stream.of(TOKEN, CLOSE, LONGER, OTHER, BASIC, API_KEY, CLOSE_KEY)
            .flatMap(SecretsDoNotLeakIT::pieces)
            .distinct()
            .toList();

    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    /** Logback levels outlive the context; later tests in this JVM get their own again. */
    @AfterAll
    static void restoreLogLevels() {
        LoggingSystem logging = LoggingSystem.get(SecretsDoNotLeakIT.class.getClassLoader());
        List.of("dev.gspo", "org.springframework.web").forEach(name -> logging.setLogLevel(name, null));
    }

    @Test
    void noTokenAppearsInAnswersMetricsActuatorOrLogs(CapturedOutput output) {
        TestClient client = new TestClient(port);
        byte[] weights = WeightSets.randomBytes(registry.current().model().config(), 31);
        String sha = PolicyModel.sha256(weights);
        StringBuilder seen = new StringBuilder();

        for (String wrong : List.of(CLOSE, LONGER, OTHER)) {
            HttpResponse<String> r = client.push(weights, "1", sha, "Bearer " + wrong);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
            append(seen, r);
        }
        HttpResponse<String> basic = client.push(weights, "1", sha, "Basic " + BASIC);
        assertThat(basic.statusCode()).isEqualTo(401);
        append(seen, basic);
        HttpResponse<String> none = client.push(weights, "1", sha, null);
        assertThat(none.statusCode()).isEqualTo(401);
        append(seen, none);
        HttpResponse<String> ok = client.push(weights, "1", sha, "Bearer " + TOKEN);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        append(seen, ok);
        HttpResponse<String> stale = client.push(weights, "1", sha, "Bearer " + TOKEN);
        assertThat(stale.statusCode()).isEqualTo(409);
        append(seen, stale);
        for (String path : List.of(
                "/actuator",
                "/actuator/prometheus",
                "/actuator/info",
                "/actuator/health",
                "/actuator/health/readiness",
                "/actuator/env",
                "/actuator/configprops",
                "/actuator/env/" + "gspo.rollout.push-token",
                "/v3/api-docs",
                "/v1/policy")) {
            append(seen, get(client, path, "Bearer " + API_KEY));
        }
        for (String wrong : List.of("Bearer " + CLOSE_KEY, "Bearer " + API_KEY + "0", "Basic " + API_KEY)) {
            HttpResponse<String> r = get(client, "/v1/policy/weights", wrong);
            assertThat(r.statusCode()).as(wrong).isIn(401, 403);
            append(seen, r);
        }
        append(seen, get(client, "/v1/policy", null));

        // the search can find what is there: the installed version's checksum is in the answers and in the log
        assertThat(seen).contains(sha, "gspo_policy_version");
        assertThat(output.getAll()).contains("serving policy version 1", sha);
        assertThat(leaks(seen.toString())).as("token pieces in the answers").isEmpty();
        assertThat(leaks(output.getAll())).as("token pieces in the log output").isEmpty();
    }

    private HttpResponse<String> get(TestClient client, String path, String authorization) {
        java.net.http.HttpRequest.Builder b =
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return client.send(b.GET().build());
    }

    static Stream<String> pieces(String token) {
        return IntStream.rangeClosed(0, token.length() - 8).mapToObj(i -> token.substring(i, i + 8));
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

    private static void append(StringBuilder seen, HttpResponse<String> r) {
        seen.append(r.uri())
                .append(' ')
                .append(r.statusCode())
                .append(' ')
                .append(r.headers().map())
                .append('\n')
                .append(r.body())
                .append('\n');
    }
}
