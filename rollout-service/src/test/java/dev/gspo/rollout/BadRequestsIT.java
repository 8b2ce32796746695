package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.common.wire.PromptInput;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.common.wire.SamplingSpec;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Every bad input is a 4xx problem naming what is wrong, never a 500 or a stack trace; the service keeps working. */
@RolloutIT
class BadRequestsIT {
    private static final String JSON = "application/json";
    private static final String OK_PROMPT = "{\"id\":\"p\",\"tokenIds\":[1,4]}";

    @LocalServerPort
    int port;

    TestClient client;

    @BeforeEach
    void setUp() {
        client = new TestClient(port);
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                arguments("malformed JSON", JSON, "{\"prompts\": [", 400, "body"),
                arguments("not JSON at all", JSON, "hello", 400, "body"),
                arguments("empty body", JSON, "", 400, "body"),
                arguments("JSON null body", JSON, "null", 400, "body"),
                arguments("trailing garbage", JSON, "{\"prompts\":[" + OK_PROMPT + "]} x", 400, "body"),
                arguments("prompts is not an array", JSON, "{\"prompts\":\"abc\"}", 400, "prompts"),
                arguments("groupSize is a word", JSON, withGroupSize("\"eight\""), 400, "groupSize"),
                arguments("groupSize is a numeric string", JSON, withGroupSize("\"8\""), 400, "groupSize"),
                arguments("groupSize is fractional", JSON, withGroupSize("2.5"), 400, "groupSize"),
                arguments("groupSize overflows an int", JSON, withGroupSize("99999999999"), 400, "groupSize"),
                arguments("negative groupSize", JSON, withGroupSize("-1"), 400, "groupSize"),
                arguments("zero groupSize", JSON, withGroupSize("0"), 400, "groupSize"),
                arguments("huge groupSize", JSON, withGroupSize("1000000"), 400, "groupSize"),
                arguments(
                        "prompts × groupSize over the batch limit",
                        JSON,
                        "{\"prompts\":[" + prompts(8) + "],\"groupSize\":16}",
                        400,
                        "groupSize"),
                arguments("no prompts field", JSON, "{\"groupSize\":2}", 400, "prompts"),
                arguments("empty prompts", JSON, "{\"prompts\":[]}", 400, "prompts"),
                arguments("too many prompts", JSON, "{\"prompts\":[" + prompts(9) + "]}", 400, "prompts"),
                arguments("null prompt", JSON, "{\"prompts\":[null]}", 400, "prompts[0]"),
                arguments(
                        "prompt with neither text nor tokens",
                        JSON,
                        "{\"prompts\":[{\"id\":\"x\"}]}",
                        400,
                        "prompts[0]"),
                arguments(
                        "prompt with both text and tokens",
                        JSON,
                        "{\"prompts\":[{\"text\":\"a\",\"tokenIds\":[1]}]}",
                        400,
                        "prompts[0]"),
                arguments("empty token ids", JSON, "{\"prompts\":[{\"tokenIds\":[]}]}", 400, "prompts[0].tokenIds"),
                arguments("empty text", JSON, "{\"prompts\":[{\"text\":\"\"}]}", 400, "prompts[0].text"),
                arguments(
                        "token id is a word",
                        JSON,
                        "{\"prompts\":[{\"tokenIds\":[1,\"x\"]}]}",
                        400,
                        "prompts[0].tokenIds[1]"),
                arguments(
                        "token id outside the vocabulary",
                        JSON,
                        "{\"prompts\":[{\"tokenIds\":[1,100000]}]}",
                        422,
                        "prompts[0].tokenIds[1]"),
                arguments(
                        "negative token id",
                        JSON,
                        "{\"prompts\":[{\"tokenIds\":[-3]}]}",
                        422,
                        "prompts[0].tokenIds[0]"),
                arguments(
                        "prompt too long for the positions",
                        JSON,
                        "{\"prompts\":[{\"tokenIds\":[" + ones(60) + "]}],\"sampling\":{\"maxNewTokens\":16}}",
                        422,
                        "prompts[0]"),
                arguments(
                        "prompt text too long for the positions, refused before tokenising",
                        JSON,
                        "{\"prompts\":[{\"text\":\"" + "1".repeat(300) + "\"}]}",
                        422,
                        "prompts[0].text"),
                arguments(
                        "maxNewTokens over the limit",
                        JSON,
                        withSampling("\"maxNewTokens\":33"),
                        400,
                        "sampling.maxNewTokens"),
                arguments("zero maxNewTokens", JSON, withSampling("\"maxNewTokens\":0"), 400, "sampling.maxNewTokens"),
                arguments(
                        "negative temperature", JSON, withSampling("\"temperature\":-1"), 400, "sampling.temperature"),
                arguments("topP zero", JSON, withSampling("\"topP\":0"), 400, "sampling.topP"),
                arguments("topP above one", JSON, withSampling("\"topP\":1.5"), 400, "sampling.topP"),
                arguments("negative topK", JSON, withSampling("\"topK\":-1"), 400, "sampling.topK"),
                arguments("empty stop string", JSON, withSampling("\"stop\":[\"\"]"), 400, "sampling.stop[0]"),
                arguments("seed is a word", JSON, withSampling("\"seed\":\"seven\""), 400, "sampling.seed"),
                arguments(
                        "negative minPolicyVersion",
                        JSON,
                        "{\"prompts\":[" + OK_PROMPT + "],\"minPolicyVersion\":-1}",
                        400,
                        "minPolicyVersion"),
                arguments("unknown top-level field", JSON, "{\"prompts\":[" + OK_PROMPT + "],\"n\":3}", 400, "n"),
                arguments(
                        "unknown nested field", JSON, withSampling("\"tempreature\":0.5"), 400, "sampling.tempreature"),
                arguments(
                        "unknown prompt field",
                        JSON,
                        "{\"prompts\":[{\"tokenIds\":[1],\"role\":\"user\"}]}",
                        400,
                        "prompts[0].role"),
                arguments(
                        "duplicate top-level key",
                        JSON,
                        "{\"prompts\":[" + OK_PROMPT + "],\"groupSize\":1,\"groupSize\":2}",
                        400,
                        "groupSize"),
                arguments("duplicate nested key", JSON, withSampling("\"seed\":1,\"seed\":1"), 400, "sampling.seed"),
                arguments(
                        "duplicate key in a prompt",
                        JSON,
                        "{\"prompts\":[" + OK_PROMPT + ",{\"tokenIds\":[1],\"tokenIds\":[2]}]}",
                        400,
                        "prompts[1].tokenIds"),
                arguments(
                        "oversize body",
                        JSON,
                        "{\"prompts\":[{\"text\":\"" + "x".repeat(20_000) + "\"}]}",
                        413,
                        "body"),
                arguments("wrong content type", "text/plain", "{\"prompts\":[" + OK_PROMPT + "]}", 415, null),
                arguments("form content type", "application/x-www-form-urlencoded", "prompts=1", 415, null));
    }

    @ParameterizedTest(name = "{0} → {3}")
    @MethodSource("badRequests")
    void rejectsBadInputWithAProblemNamingTheField(
            String name, String contentType, String body, int status, String field) {
        HttpResponse<String> r = client.post("/v1/rollouts", contentType, body);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode problem = TestClient.tree(r.body());
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("detail").asText()).isNotBlank();
        assertThat(r.body()).doesNotContain("Exception", "\tat ", "trace", "Source:");
        if (field != null) {
            List<String> fields = problem.path("errors").findValuesAsText("field");
            assertThat(fields).as(r.body()).contains(field);
            assertThat(problem.path("detail").asText()).contains(field);
        }
        stillAnswersCorrectly();
    }

    @org.junit.jupiter.api.Test
    void rejectsARequestWithoutContentType() {
        HttpResponse<String> r =
                client.send(HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/v1/rollouts"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompts\":[" + OK_PROMPT + "]}"))
                        .build());

        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @org.junit.jupiter.api.Test
    void rejectsAnOversizeBodyOfUnknownLength() {
        byte[] body = ("{\"prompts\":[{\"text\":\"" + "x".repeat(40_000) + "\"}]}").getBytes();
        HttpResponse<String> r =
                client.send(HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/v1/rollouts"))
                        .header("Content-Type", JSON)
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)))
                        .build());

        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(r.body()).contains("gspo.rollout.max-request-bytes");
        stillAnswersCorrectly();
    }

    @org.junit.jupiter.api.Test
    void answersUnknownPathsAndMethodsWithProblems() {
        assertThat(client.get("/v1/nothing-here").statusCode()).isEqualTo(404);
        HttpResponse<String> r = client.get("/v1/rollouts");
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    /** An Accept header that cannot be parsed made the 406 an empty answer. */
    @org.junit.jupiter.api.Test
    void answersAnUnparseableAcceptHeaderWithAProblemNamingWhatIsAcceptable() {
        HttpResponse<String> r =
                client.send(HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/v1/rollouts"))
                        .header("Content-Type", JSON)
                        .header("Accept", "x")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompts\":[" + OK_PROMPT + "]}"))
                        .build());

        assertThat(r.statusCode()).isEqualTo(406);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(TestClient.tree(r.body()).path("detail").asText()).contains("application/json");
    }

    private void stillAnswersCorrectly() {
        RolloutResponse ok = client.rollout(
                new RolloutRequest(List.of(PromptInput.tokens("p", 1, 4)), 2, SamplingSpec.of(3, 1.0, 1), null));
        assertThat(ok.groups()).singleElement().satisfies(g -> assertThat(g.samples())
                .hasSize(2));
    }

    private static String withGroupSize(String value) {
        return "{\"prompts\":[" + OK_PROMPT + "],\"groupSize\":" + value + "}";
    }

    private static String withSampling(String fields) {
        return "{\"prompts\":[" + OK_PROMPT + "],\"sampling\":{" + fields + "}}";
    }

    private static String prompts(int n) {
        return IntStream.range(0, n).mapToObj(i -> OK_PROMPT).collect(Collectors.joining(","));
    }

    private static String ones(int n) {
        return IntStream.range(0, n).mapToObj(i -> "1").collect(Collectors.joining(","));
    }
}
