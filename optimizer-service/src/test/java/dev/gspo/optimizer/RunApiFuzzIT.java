package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gspo.common.testing.JsonFuzz;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.RawHttp;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Property-style fuzzing of the optimizer's HTTP surface: seeded hostile run configs ({@link JsonFuzz}) and seeded
 * hostile requests of the shapes that used to be 500s or to be read before authentication (multipart without a
 * boundary on every endpoint, paths with {@code ;} and {@code %}, oversized headers, repeated JSON keys, bodies of
 * hundreds of megabytes, {@code /error} asked directly). Never a 5xx, never a stack trace, every error a problem
 * document, none of it logged above DEBUG. A body that happens to be a valid config starts a run, which the test stops
 * at once. The fleet address is a closed port, so such runs end quickly (and fail cleanly) instead of training.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.rollout-urls=http://127.0.0.1:9",
            "gspo.optimizer.control-token=fuzz-token",
            "gspo.optimizer.max-attempts=1",
            "gspo.optimizer.publish-timeout=2s",
            "gspo.optimizer.request-timeout=2s",
            // the runs the fuzzer starts fail against the closed fleet port, loudly: only their loggers are off
            "logging.level.dev.gspo.optimizer.run=OFF",
            "logging.level.dev.gspo.optimizer.loop=OFF",
            "logging.level.dev.gspo.optimizer.config=OFF",
            "logging.level.gspo=OFF"
        })
@ExtendWith(OutputCaptureExtension.class)
class RunApiFuzzIT {
    private static final String TOKEN = "fuzz-token";
    private static final List<String> PATHS = List.of(
            "/v1/runs",
            "/v1/runs/x",
            "/v1/runs/x/metrics",
            "/v1/runs/x/stop",
            "/actuator/health",
            "/actuator/prometheus",
            "/v3/api-docs",
            "/error");
    /** Characters that path parsers trip over. */
    private static final String PATH_CHARS = ";%/.:@!$&'()*+,=~-_0123456789abcdefABCDEF";

    private static final String VALID = """
            {"task":"addition","taskParams":{"minDigits":1,"maxDigits":1},"steps":1,"promptsPerStep":2,"groupSize":2,
             "miniBatches":1,"lossMode":"gspo","clipLow":0.01,"clipHigh":0.01,"learningRate":1e-4,"maxNewTokens":3,
             "sftSteps":0,"evalSize":0,"evalEvery":1,"checkpointEvery":0,"seed":3}""";

    @Value("${local.server.port}")
    int port;

    @Test
    void hostileRunConfigsAreNeverServerErrors() {
        JsonFuzz fuzz = new JsonFuzz(7L, VALID);
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < 120; i++) {
            String body = fuzz.next();
            Http.Response r = Http.post(uri("/v1/runs"), body, TOKEN);
            statuses.merge(r.status(), 1, Integer::sum);
            assertThat(r.status())
                    .as("case %d: %s → %s", i, body.length() > 300 ? body.substring(0, 300) : body, r.body())
                    .isLessThan(500);
            if (r.status() >= 400) {
                assertThat(r.contentType()).as("case %d", i).startsWith("application/problem+json");
                assertThat(r.body()).as("case %d", i).doesNotContain("Exception", "\tat ");
            }
            if (r.status() == 201) {
                String runId = r.json().get("runId").asText();
                Http.post(uri("/v1/runs/" + runId + "/stop"), "", TOKEN);
                await().atMost(Duration.ofMinutes(2)).until(() -> !Http.get(uri("/v1/runs/" + runId))
                        .json()
                        .get("state")
                        .asText()
                        .equals("running"));
            }
        }
        assertThat(statuses.keySet()).as("%s", statuses).anyMatch(s -> s == 400).anyMatch(s -> s == 422);
        assertThat(Http.get(uri("/actuator/health")).status()).isEqualTo(200);
    }

    @Test
    void hostileRequestsOfEveryShapeAreProblemsNeverServerErrors(CapturedOutput output) {
        int logBefore = output.getAll().length(); // the context may have started in this test, with its own WARNs
        Random random = new Random(11);
        Map<String, RawHttp.Response> answers = new LinkedHashMap<>();
        for (String path : PATHS) {
            for (String method : List.of("GET", "POST")) {
                for (String auth : List.of("", "\r\nAuthorization: Bearer " + TOKEN)) {
                    String head = method + " " + path + " HTTP/1.1\r\nHost: x" + auth
                            + "\r\nContent-Type: multipart/form-data\r\nContent-Length: 3";
                    answers.put(
                            "multipart " + method + " " + path + (auth.isEmpty() ? "" : " +token"),
                            RawHttp.send(port, head, "abc".getBytes(StandardCharsets.UTF_8), 0, false));
                }
            }
        }
        List<String> paths = new ArrayList<>(List.of(
                "/v1/runs/c1;2%3/",
                "/v1/runs/%",
                "/v1/runs/a%2Fb",
                "/v1/runs/;/",
                "/v1/runs/..;/x",
                "/v1/runs/%00",
                "/v1/runs/%E0%A4%A",
                "/error;x=%3",
                "/actuator/health;%",
                "/v1/runs;%zz/metrics",
                "/%2e%2e/error"));
        for (int i = 0; i < 40; i++) {
            StringBuilder p = new StringBuilder(PATHS.get(random.nextInt(PATHS.size())));
            for (int n = 1 + random.nextInt(8); n > 0; n--) {
                p.append(PATH_CHARS.charAt(random.nextInt(PATH_CHARS.length())));
            }
            paths.add(p.toString());
        }
        for (String path : paths) {
            answers.put("path GET " + path, RawHttp.send(port, "GET " + path + " HTTP/1.1\r\nHost: x"));
            answers.put(
                    "path POST " + path,
                    RawHttp.send(
                            port,
                            "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                                    + "\r\nContent-Type: application/json\r\nContent-Length: 2",
                            "{}".getBytes(StandardCharsets.UTF_8),
                            0,
                            false));
        }
        for (int size : new int[] {9_000, 70_000, 300_000}) {
            answers.put(
                    "header of " + size,
                    RawHttp.send(port, "GET /v1/runs HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(size)));
            answers.put(
                    "request line of " + size,
                    RawHttp.send(port, "GET /v1/runs/" + "b".repeat(size) + " HTTP/1.1\r\nHost: x"));
        }
        answers.put("400 headers", RawHttp.send(port, "GET /v1/runs HTTP/1.1\r\nHost: x" + "\r\nX-H: v".repeat(400)));
        for (int i = 0; i < 12; i++) {
            String body = duplicateAKey(random);
            RawHttp.Response r = postJson(body, "Bearer " + TOKEN);
            answers.put("duplicate key " + body, r);
            assertThat(r.status()).as(body + " → " + r.body()).isEqualTo(400);
            assertThat(r.body()).contains("Duplicate").doesNotContain("Source", "REDACTED");
        }
        String hugeHead = "POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json";
        byte[] open = "{\"taskParams\":{\"x\":\"".getBytes(StandardCharsets.UTF_8);
        answers.put(
                "declared 200 MB +token",
                RawHttp.send(port, hugeHead + AUTH + "\r\nContent-Length: 200000000", open, 200_000_000, false));
        answers.put(
                "declared 200 MB",
                RawHttp.send(port, hugeHead + "\r\nContent-Length: 200000000", open, 200_000_000, false));
        answers.put("chunked 200 MB +token", RawHttp.send(port, hugeHead + AUTH, open, 200_000_000, true));
        answers.put("chunked 3 MB", RawHttp.send(port, hugeHead, open, 3_000_000, true));
        answers.put("GET /error", RawHttp.send(port, "GET /error HTTP/1.1\r\nHost: x"));
        answers.put("GET /error +token", RawHttp.send(port, "GET /error HTTP/1.1\r\nHost: x" + AUTH));
        answers.put(
                "GET /error as HTML", RawHttp.send(port, "GET /error HTTP/1.1\r\nHost: x\r\nAccept: text/html" + AUTH));
        answers.put("malformed body", postJson("{\"steps\":", null));
        answers.put("lower-case bearer", postJson("{\"steps\":0}", "bearer " + TOKEN));

        Map<Integer, Integer> statuses = new TreeMap<>();
        answers.forEach((name, r) -> {
            statuses.merge(r.status(), 1, Integer::sum);
            assertThat(r.status()).as("%s → %s", name, r.body()).isBetween(200, 499);
            if (r.status() >= 400) {
                assertThat(r.contentType()).as("%s → %s", name, r.body()).startsWith("application/problem+json");
                assertThat(r.body()).as(name).contains("\"detail\"").doesNotContain("Exception", "\tat ", "Source:");
            }
        });
        assertThat(answers.get("declared 200 MB +token").status()).isEqualTo(413);
        assertThat(answers.get("chunked 200 MB +token").status()).isEqualTo(413);
        assertThat(answers.get("declared 200 MB").status())
                .as("credentials first")
                .isEqualTo(401);
        assertThat(answers.get("chunked 3 MB").status()).isEqualTo(401);
        assertThat(answers.get("GET /error +token").status()).isEqualTo(404);
        assertThat(answers.get("GET /error as HTML").status()).isEqualTo(404);
        assertThat(answers.get("malformed body").status())
                .as("no token: 401 before the body is read")
                .isEqualTo(401);
        assertThat(answers.get("lower-case bearer").status())
                .as("RFC 7235: the scheme is case-insensitive")
                .isEqualTo(422);
        assertThat(answers.get("path GET /v1/runs/c1;2%3/").status()).isEqualTo(400);
        assertThat(answers.get("header of 70000").status()).isEqualTo(400);
        assertThat(output.getAll()
                        .substring(logBefore)
                        .lines()
                        .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")))
                .as("bad input is logged at DEBUG at most (%s)", statuses)
                .isEmpty();
        assertThat(Http.get(uri("/actuator/health")).status()).isEqualTo(200);
    }

    private static final String AUTH = "\r\nAuthorization: Bearer " + TOKEN;

    /** The valid config with one of its keys (top level or in taskParams) written twice. */
    private static String duplicateAKey(Random random) {
        List<String> keys = new ArrayList<>();
        Matcher m = Pattern.compile("\"(\\w+)\":").matcher(VALID);
        while (m.find()) {
            keys.add(m.group(1));
        }
        String key = keys.get(random.nextInt(keys.size()));
        String again = "\"" + key + "\":" + (key.equals("taskParams") ? "{}" : "1") + ",";
        int at = VALID.indexOf("\"" + key + "\":");
        return VALID.substring(0, at) + again + VALID.substring(at);
    }

    /** {@code POST /v1/runs} with the given {@code Authorization} header value (none if null). */
    private RawHttp.Response postJson(String body, String authorization) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return RawHttp.send(
                port,
                "POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                        + (authorization == null ? "" : "\r\nAuthorization: " + authorization),
                bytes,
                0,
                false);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
