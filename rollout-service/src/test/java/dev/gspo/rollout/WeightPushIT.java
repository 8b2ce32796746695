package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.wire.PolicyInfo;
import dev.gspo.common.wire.PromptInput;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.common.wire.SampleGroup;
import dev.gspo.common.wire.SamplingSpec;
import dev.gspo.rollout.support.PolicyOracle;
import dev.gspo.rollout.support.RawSafetensors;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.support.WeightSets;
import dev.gspo.rollout.weights.PolicyRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/** A push is installed only if everything about it is right; any rejection leaves the served version untouched. */
@RolloutIT
@DirtiesContext
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WeightPushIT {
    private static final String TOKEN = "Bearer " + RolloutIT.PUSH_TOKEN;
    private static final RolloutRequest PROBE = new RolloutRequest(
            List.of(PromptInput.tokens("a", 1, 5, 7), PromptInput.tokens("b", 4, 4)),
            3,
            SamplingSpec.of(8, 1.0, 42),
            null);

    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    TestClient client;
    PolicyOracle oracle;
    ModelConfig config;
    List<Safetensors.Tensor> good;

    @BeforeAll
    void setUp() {
        client = new TestClient(port);
        oracle = new PolicyOracle(registry.current().model());
        config = registry.current().model().config();
        good = WeightSets.random(config, 99);
        HttpResponse<byte[]> w = client.getBytes("/v1/policy/weights");
        oracle.remember(
                Long.parseLong(w.headers().firstValue("X-Policy-Version").orElseThrow()), w.body());
    }

    @AfterAll
    void tearDown() {
        oracle.close();
    }

    @Test
    void rejectsWeightsWithAWrongChecksum() {
        byte[] body = WeightSets.bytes(good);
        String wrong = PolicyModel.sha256(WeightSets.randomBytes(config, 1));
        assertRejectedUnchanged(() -> client.push(body, next(), wrong, TOKEN), 400, "does not match");
    }

    @Test
    void rejectsATruncatedBody() {
        byte[] full = WeightSets.bytes(good);
        byte[] truncated = Arrays.copyOf(full, full.length - 100);
        assertRejectedUnchanged(
                () -> client.push(truncated, next(), PolicyModel.sha256(truncated), TOKEN), 400, "safetensors");
        byte[] headerOnly = Arrays.copyOf(full, 20);
        assertRejectedUnchanged(
                () -> client.push(headerOnly, next(), PolicyModel.sha256(headerOnly), TOKEN), 400, "truncated");
    }

    /** Found by an attack: the header's element count overflowed a long and the push got a 500. */
    @Test
    void rejectsAHeaderDeclaringAShapeWhoseSizeOverflows() {
        String twoTo40 = Long.toString(1L << 40);
        byte[] header = ("{\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[" + twoTo40 + "," + twoTo40
                        + "],\"data_offsets\":[0,8]}}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] body = java.nio.ByteBuffer.allocate(8 + header.length + 8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length)
                .put(header)
                .array();
        assertRejectedUnchanged(() -> pushSigned(body), 400, "'model.norm.weight' is too large");
    }

    @Test
    void rejectsWeightsOfTheWrongShape() {
        List<Safetensors.Tensor> wide = WeightSets.with(
                good,
                "model.norm.weight",
                t -> Safetensors.Tensor.f32(
                        t.name(), new long[] {t.shape()[0] + 1}, new float[(int) t.shape()[0] + 1]));
        assertRejectedUnchanged(() -> pushSigned(WeightSets.bytes(wide)), 422, "model.norm.weight");
    }

    @Test
    void rejectsASetWithAMissingOrUnexpectedTensor() {
        List<Safetensors.Tensor> missing =
                good.stream().filter(t -> !t.name().equals("model.norm.weight")).toList();
        assertRejectedUnchanged(() -> pushSigned(WeightSets.bytes(missing)), 422, "missing tensor model.norm.weight");
        List<Safetensors.Tensor> extra = new java.util.ArrayList<>(good);
        extra.add(Safetensors.Tensor.f32("model.extra.weight", new long[] {2}, new float[2]));
        assertRejectedUnchanged(() -> pushSigned(WeightSets.bytes(extra)), 422, "model.extra.weight");
    }

    @Test
    void rejectsNonFiniteWeights() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            List<Safetensors.Tensor> poisoned = WeightSets.with(good, "model.layers.0.mlp.up_proj.weight", t -> {
                float[] d = t.data().clone();
                d[17] = bad;
                return Safetensors.Tensor.f32(t.name(), t.shape(), d);
            });
            assertRejectedUnchanged(
                    () -> pushSigned(WeightSets.bytes(poisoned)), 422, "model.layers.0.mlp.up_proj.weight");
        }
    }

    @Test
    void rejectsANonFiniteValueAtEitherEndOfTheBody() {
        // the first value of the first tensor and the last value of the last one: the edges of the bulk views
        Safetensors.Tensor first = good.getFirst();
        Safetensors.Tensor last = good.getLast();
        List<Safetensors.Tensor> head = WeightSets.with(good, first.name(), t -> poisoned(t, 0, Float.NaN));
        assertRejectedUnchanged(
                () -> pushSigned(WeightSets.bytes(head)),
                422,
                "tensor " + first.name() + " holds a non-finite value (NaN) at flat index 0");
        int end = last.data().length - 1;
        List<Safetensors.Tensor> tail =
                WeightSets.with(good, last.name(), t -> poisoned(t, end, Float.NEGATIVE_INFINITY));
        assertRejectedUnchanged(
                () -> pushSigned(WeightSets.bytes(tail)),
                422,
                "tensor " + last.name() + " holds a non-finite value (-Infinity) at flat index " + end);
    }

    @Test
    void aPushedVersionGivesThePushersLogprobs() {
        // the reference is built from the pusher's float values, not from the bytes: it shares no decoding code with
        // the replica, so a wrong byte order or offset in the bulk load would show as different log-probs
        List<Safetensors.Tensor> weights = WeightSets.random(config, 4321);
        long version = client.policy().version() + 1;

        HttpResponse<String> ok = client.push(version, WeightSets.bytes(weights));

        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        oracle.remember(version, weights);
        RolloutResponse r = client.rollout(PROBE);
        assertThat(r.policyVersion()).isEqualTo(version);
        for (SampleGroup g : r.groups()) {
            g.samples().forEach(s -> assertThat(oracle.maxError(version, g.promptTokenIds(), s, 1.0))
                    .isLessThan(1e-5));
        }
    }

    private static Safetensors.Tensor poisoned(Safetensors.Tensor t, int index, float value) {
        float[] d = t.data().clone();
        d[index] = value;
        return Safetensors.Tensor.f32(t.name(), t.shape(), d);
    }

    @Test
    void rejectsWeightsThatAreNotF32() {
        byte[] half = RawSafetensors.withF16(good, Set.of("model.embed_tokens.weight"));
        assertRejectedUnchanged(() -> pushSigned(half), 422, "F16");
    }

    @Test
    void rejectsPushesWithoutTheRightToken() {
        byte[] body = WeightSets.bytes(good);
        String sha = PolicyModel.sha256(body);
        assertRejectedUnchanged(() -> client.push(body, next(), sha, null), 401, "Authorization");
        assertRejectedUnchanged(() -> client.push(body, next(), sha, "Basic dXNlcjpwYXNz"), 401, "Bearer");
        assertRejectedUnchanged(() -> client.push(body, next(), sha, "Bearer wrong-token"), 403, "push token");
        assertRejectedUnchanged(() -> client.push(body, next(), sha, TOKEN + "x"), 403, "push token");
    }

    @Test
    void rejectsMissingOrMalformedHeaders() {
        byte[] body = WeightSets.bytes(good);
        String sha = PolicyModel.sha256(body);
        assertRejectedUnchanged(() -> client.push(body, null, sha, TOKEN), 400, "X-Policy-Version");
        assertRejectedUnchanged(() -> client.push(body, "seven", sha, TOKEN), 400, "X-Policy-Version");
        assertRejectedUnchanged(() -> client.push(body, next(), null, TOKEN), 400, "X-Content-SHA256");
        assertRejectedUnchanged(() -> client.push(body, next(), "abc", TOKEN), 400, "X-Content-SHA256");
    }

    @Test
    void rejectsAPushThatIsNotOctetStream() {
        byte[] body = WeightSets.bytes(good);
        assertRejectedUnchanged(
                () -> client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/policy"))
                        .header("Content-Type", "application/json")
                        .header("X-Policy-Version", next())
                        .header("X-Content-SHA256", PolicyModel.sha256(body))
                        .header("Authorization", TOKEN)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build()),
                415,
                "");
    }

    @Test
    void installsAValidPushAndRefusesVersionsThatDoNotMoveForward() {
        long before = client.policy().version();
        byte[] body = WeightSets.bytes(WeightSets.random(config, 1234 + before));
        long version = before + 2;

        HttpResponse<String> ok = client.push(version, body);

        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        oracle.remember(version, body);
        PolicyInfo info = TestClient.read(ok.body(), PolicyInfo.class);
        assertThat(info.version()).isEqualTo(version);
        assertThat(info.sha256()).isEqualTo(PolicyModel.sha256(body));
        assertThat(client.policy()).isEqualTo(info);
        HttpResponse<byte[]> served = client.getBytes("/v1/policy/weights");
        assertThat(served.body()).isEqualTo(body);
        assertThat(served.headers().firstValue("X-Policy-Version")).hasValue(Long.toString(version));
        assertThat(served.headers().firstValue("X-Content-SHA256")).hasValue(info.sha256());
        RolloutResponse r = client.rollout(PROBE);
        assertThat(r.policyVersion()).isEqualTo(version);
        for (SampleGroup g : r.groups()) {
            g.samples().forEach(s -> assertThat(oracle.maxError(version, g.promptTokenIds(), s, 1.0))
                    .isLessThan(1e-5));
        }

        byte[] other = WeightSets.randomBytes(config, 5);
        for (long stale : new long[] {version, version - 1, 0}) {
            assertRejectedUnchanged(() -> client.push(stale, other), 409, "only move forward");
        }
    }

    private HttpResponse<String> pushSigned(byte[] body) {
        return client.push(body, next(), PolicyModel.sha256(body), TOKEN);
    }

    private String next() {
        return Long.toString(client.policy().version() + 1);
    }

    private void assertRejectedUnchanged(
            java.util.function.Supplier<HttpResponse<String>> push, int status, String detail) {
        PolicyInfo before = client.policy();
        RolloutResponse outputBefore = client.rollout(PROBE);

        HttpResponse<String> r = push.get();

        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(TestClient.tree(r.body()).path("detail").asText()).contains(detail);
        assertThat(client.policy()).isEqualTo(before);
        RolloutResponse outputAfter = client.rollout(PROBE);
        assertThat(outputAfter.policyVersion()).isEqualTo(before.version());
        assertThat(tokens(outputAfter)).isEqualTo(tokens(outputBefore));
    }

    private static List<List<Integer>> tokens(RolloutResponse r) {
        return r.groups().stream()
                .flatMap(g -> g.samples().stream())
                .map(s -> Arrays.stream(s.tokenIds()).boxed().toList())
                .toList();
    }
}
