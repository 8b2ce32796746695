package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.wire.AdapterInfo;
import dev.gspo.common.wire.AdapterList;
import dev.gspo.common.wire.PolicyInfo;
import dev.gspo.common.wire.PromptInput;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.common.wire.Sample;
import dev.gspo.common.wire.SamplingSpec;
import dev.gspo.rollout.support.LoraBodies;
import dev.gspo.rollout.support.PolicyOracle;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.support.WeightSets;
import dev.gspo.rollout.weights.PolicyRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * Named adapters ({@code /v1/adapters}): several LoRA adapters served at once beside the base, each with its own
 * version, rows of all of them in one decode batch. Every sample is checked against an oracle that merges W + (α/r)·B A
 * in plain Java: its log-probs equal teacher forcing under its own adapter and version, not under the other's. Every
 * refusal leaves what is served as it was.
 */
@RolloutIT
@DirtiesContext
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NamedAdaptersIT {
    private static final String TOKEN = "Bearer " + RolloutIT.PUSH_TOKEN;
    private static final LoraConfig LORA_A = LoraConfig.of(4, 8);
    private static final LoraConfig LORA_B = new LoraConfig(2, 4, List.of("q_proj", "v_proj", "down_proj"));
    private static final long ORACLE_A = 1_000;
    private static final long ORACLE_B = 2_000;
    private static final long ORACLE_BASE = 3_000;

    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    TestClient client;
    PolicyOracle oracle;
    ModelConfig config;
    String baseSha;
    Map<String, Safetensors.Tensor> a;
    Map<String, Safetensors.Tensor> b;

    @BeforeAll
    void setUp() {
        client = new TestClient(port);
        config = registry.current().model().config();
        oracle = new PolicyOracle(registry.current().model());
        byte[] served = client.getBytes("/v1/policy/weights").body();
        baseSha = PolicyModel.sha256(served);
        List<Safetensors.Tensor> base = new ArrayList<>(Safetensors.read(served).values());
        a = LoraBodies.adapter(config, LORA_A, 1);
        b = LoraBodies.adapter(config, LORA_B, 2);
        oracle.remember(ORACLE_A, LoraBodies.merged(base, LORA_A, a));
        oracle.remember(ORACLE_B, LoraBodies.merged(base, LORA_B, b));
        oracle.remember(ORACLE_BASE, base);
        assertThat(push("run-a", LoraBodies.body(LORA_A, a), "3", baseSha).statusCode())
                .isEqualTo(200);
        assertThat(push("run-b", LoraBodies.body(LORA_B, b), "1", baseSha).statusCode())
                .isEqualTo(200);
    }

    @AfterAll
    void tearDown() {
        oracle.close();
    }

    @Test
    @Order(1)
    void everySampleIsTeacherForcedUnderItsOwnAdapterAndVersionAndNotTheOthers() {
        AdapterList list = TestClient.read(client.get("/v1/adapters").body(), AdapterList.class);
        assertThat(list.maxAdapters()).isEqualTo(8);
        assertThat(list.adapters()).extracting(AdapterInfo::name).containsExactly("run-a", "run-b");
        AdapterInfo infoA = list.adapters().getFirst();
        assertThat(infoA.version()).isEqualTo(3);
        assertThat(infoA.rank()).isEqualTo(4);
        assertThat(infoA.alpha()).isEqualTo(8.0);
        assertThat(infoA.targets()).isEqualTo(LoraConfig.DEFAULT_TARGETS);
        assertThat(infoA.sha256()).isEqualTo(PolicyModel.sha256(LoraBodies.body(LORA_A, a)));
        assertThat(infoA.bytes()).isEqualTo(LoraBodies.body(LORA_A, a).length);
        assertThat(infoA.baseSha256()).isEqualTo(baseSha);
        assertThat(infoA.memoryBytes()).isPositive();
        assertThat(TestClient.read(client.get("/v1/adapters/run-b").body(), AdapterInfo.class)
                        .targets())
                .containsExactly("q_proj", "v_proj", "down_proj");

        // the three at once, so that their rows share the running batch
        CompletableFuture<RolloutResponse> fa = CompletableFuture.supplyAsync(() -> client.rollout(probe("run-a")));
        CompletableFuture<RolloutResponse> fb = CompletableFuture.supplyAsync(() -> client.rollout(probe("run-b")));
        CompletableFuture<RolloutResponse> fbase = CompletableFuture.supplyAsync(() -> client.rollout(probe(null)));
        RolloutResponse ra = fa.join();
        RolloutResponse rb = fb.join();
        RolloutResponse rbase = fbase.join();

        assertThat(ra.adapter()).isEqualTo("run-a");
        assertThat(ra.policyVersion()).isEqualTo(3);
        assertThat(rb.adapter()).isEqualTo("run-b");
        assertThat(rb.policyVersion()).isEqualTo(1);
        assertThat(rbase.adapter()).isNull();
        assertThat(rbase.policyVersion()).isEqualTo(registry.current().version());
        assertThat(oracle.maxError(ORACLE_A, ra, 1.0)).isLessThanOrEqualTo(1e-5);
        assertThat(oracle.maxError(ORACLE_B, rb, 1.0)).isLessThanOrEqualTo(1e-5);
        assertThat(oracle.maxError(ORACLE_BASE, rbase, 1.0)).isLessThanOrEqualTo(1e-5);
        assertThat(oracle.maxError(ORACLE_B, ra, 1.0)).isGreaterThan(1e-3);
        assertThat(oracle.maxError(ORACLE_A, rb, 1.0)).isGreaterThan(1e-3);
        assertThat(oracle.maxError(ORACLE_BASE, ra, 1.0)).isGreaterThan(1e-3);

        // the same request alone: the same samples, whatever shared its batch
        RolloutResponse alone = client.rollout(probe("run-a"));
        for (int g = 0; g < alone.groups().size(); g++) {
            List<Sample> x = alone.groups().get(g).samples();
            List<Sample> y = ra.groups().get(g).samples();
            for (int s = 0; s < x.size(); s++) {
                assertThat(x.get(s).tokenIds()).isEqualTo(y.get(s).tokenIds());
                for (int t = 0; t < x.get(s).logprobs().length; t++) {
                    assertThat((double) x.get(s).logprobs()[t])
                            .isCloseTo(y.get(s).logprobs()[t], org.assertj.core.data.Offset.offset(1e-5));
                }
            }
        }
        String metrics = client.get("/actuator/prometheus").body();
        assertThat(metrics).contains("gspo_rollout_adapters_loaded{application=\"rollout-service\"} 2.0");
        assertThat(metrics)
                .contains("gspo_rollout_adapter_version{adapter=\"run-a\",application=\"rollout-service\"} 3.0");
        assertThat(metrics).containsPattern("gspo_rollout_adapter_bytes\\{adapter=\"run-b\",[^}]*} [1-9]");
        assertThat(metrics).containsPattern("gspo_rollout_adapter_samples_total\\{adapter=\"run-a\",[^}]*} [1-9]");
        assertThat(metrics)
                .containsPattern("gspo_rollout_adapter_tokens_generated_total\\{adapter=\"run-b\",[^}]*} [1-9]");
    }

    @Test
    @Order(2)
    void aNewVersionReplacesOnlyItsOwnAdapterAndVersionsOnlyMoveForward() {
        Map<String, Safetensors.Tensor> a2 = LoraBodies.adapter(config, LORA_A, 11);
        HttpResponse<String> ok = push("run-a", LoraBodies.body(LORA_A, a2), "4", baseSha);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(TestClient.read(ok.body(), AdapterInfo.class).version()).isEqualTo(4);
        byte[] stale = LoraBodies.body(LORA_A, a);
        assertRefusedUnchanged(
                () -> push("run-a", stale, "4", baseSha),
                409,
                "X-Policy-Version 4 is not ahead of version 4 of adapter 'run-a': versions only move forward");
        assertThat(TestClient.tree(push("run-a", stale, "2", baseSha).body())
                        .path("policyVersion")
                        .asLong())
                .isEqualTo(4);
        RolloutResponse rb = client.rollout(probe("run-b"));
        assertThat(rb.policyVersion()).isEqualTo(1); // untouched
        assertThat(oracle.maxError(ORACLE_B, rb, 1.0)).isLessThanOrEqualTo(1e-5);
        // back to the first numbers as version 5, so the oracle's A holds again
        assertThat(push("run-a", stale, "5", baseSha).statusCode()).isEqualTo(200);
        RolloutResponse ra = client.rollout(probe("run-a"));
        assertThat(ra.policyVersion()).isEqualTo(5);
        assertThat(oracle.maxError(ORACLE_A, ra, 1.0)).isLessThanOrEqualTo(1e-5);
    }

    @Test
    @Order(3)
    void refusesBadPushesWithANamedProblemAndKeepsServingThePreviousVersion() {
        byte[] body = LoraBodies.body(LORA_A, LoraBodies.adapter(config, LORA_A, 21));
        String sha = PolicyModel.sha256(body);
        assertRefusedUnchanged(
                () -> send("PUT", "/v1/adapters/run-a", body, "9", sha, baseSha, null), 401, "Authorization");
        assertRefusedUnchanged(
                () -> send("PUT", "/v1/adapters/run-a", body, "9", sha, baseSha, "Bearer wrong"), 403, "push token");
        assertRefusedUnchanged(
                () -> send("PUT", "/v1/adapters/Run_A", body, "9", sha, baseSha, TOKEN),
                400,
                "'Run_A' is not an adapter name");
        assertRefusedUnchanged(
                () -> send("PUT", "/v1/adapters/run-a", body, null, sha, baseSha, TOKEN), 400, "X-Policy-Version");
        assertRefusedUnchanged(
                () -> send("PUT", "/v1/adapters/run-a", body, "9", sha, null, TOKEN), 400, "X-Base-SHA256");
        assertRefusedUnchanged(
                () -> send("PUT", "/v1/adapters/run-a", body, "9", baseSha, baseSha, TOKEN), 400, "does not match");
        byte[] plain = WeightSets.randomBytes(config, 3); // full weights, no LoRA metadata
        assertRefusedUnchanged(() -> push("run-a", plain, "9", baseSha), 400, "peft_type");
        String otherBase = PolicyModel.sha256(WeightSets.randomBytes(config, 5));
        assertRefusedUnchanged(() -> push("run-a", body, "9", otherBase), 409, "push the base weights first");
        Map<String, Safetensors.Tensor> poisoned = LoraBodies.adapter(config, LORA_A, 22);
        String name = "model.layers.1.self_attn.v_proj" + LoraWeights.B_SUFFIX;
        float[] d = poisoned.get(name).data().clone();
        d[2] = Float.NaN;
        poisoned.put(name, Safetensors.Tensor.f32(name, poisoned.get(name).shape(), d));
        assertRefusedUnchanged(
                () -> push("run-a", LoraBodies.body(LORA_A, poisoned), "9", baseSha),
                422,
                "tensor " + name + " has a non-finite value (NaN) at index 2");
        LoraConfig tooWide = LoraConfig.of(config.hiddenSize() + 1, 8);
        assertRefusedUnchanged(
                () -> push("run-c", LoraBodies.body(tooWide, Map.of()), "1", baseSha), 422, "exceeds the width");
        assertThat(client.get("/v1/adapters/run-c").statusCode()).isEqualTo(404);
    }

    @Test
    @Order(4)
    void refusesRolloutsOfUnknownOrBehindAdapters() {
        HttpResponse<String> unknown = client.postJson(probe("nobody"));
        assertThat(unknown.statusCode()).isEqualTo(404);
        JsonNode p = TestClient.tree(unknown.body());
        assertThat(p.path("detail").asText())
                .isEqualTo("no adapter named 'nobody' is loaded on this replica (GET /v1/adapters lists them)");
        assertThat(p.path("reason").asText()).isEqualTo("unknown_adapter");
        assertThat(client.postJson(probe("Bad Name")).statusCode()).isEqualTo(400);
        RolloutRequest ahead = new RolloutRequest(
                List.of(PromptInput.tokens("a", 1, 5, 7)), 1, SamplingSpec.of(4, 1.0, 1), 6L, "run-b");
        HttpResponse<String> behind = client.postJson(ahead);
        assertThat(behind.statusCode()).isEqualTo(409);
        assertThat(TestClient.tree(behind.body()).path("detail").asText())
                .isEqualTo("minPolicyVersion 6 is ahead of version 1 of adapter 'run-b'");
        assertThat(TestClient.tree(behind.body()).path("policyVersion").asLong())
                .isEqualTo(1);
        assertThat(client.get("/v1/adapters/nobody").statusCode()).isEqualTo(404);
        assertThat(client.get("/v1/adapters/NOBODY").statusCode()).isEqualTo(400);
    }

    @Test
    @Order(5)
    void aFullPushIsRefusedWhileAdaptersAreLoadedAndTheLimitHolds() {
        byte[] weights = WeightSets.randomBytes(config, 9);
        long next = client.policy().version() + 1;
        PolicyInfo before = client.policy();
        HttpResponse<String> refused = client.push(next, weights);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
        JsonNode p = TestClient.tree(refused.body());
        assertThat(p.path("reason").asText()).isEqualTo("adapters_loaded");
        assertThat(p.path("detail").asText()).contains("[run-a, run-b]");
        assertThat(client.policy()).isEqualTo(before);

        // the limit: 8 names; a ninth is refused, a new version of a loaded one is not
        LoraConfig small = new LoraConfig(1, 1, List.of("q_proj"));
        for (int i = 0; i < 6; i++) {
            assertThat(push("n" + i, LoraBodies.body(small, LoraBodies.adapter(config, small, i)), "1", baseSha)
                            .statusCode())
                    .isEqualTo(200);
        }
        HttpResponse<String> ninth =
                push("n6", LoraBodies.body(small, LoraBodies.adapter(config, small, 6)), "1", baseSha);
        assertThat(ninth.statusCode()).isEqualTo(409);
        assertThat(TestClient.tree(ninth.body()).path("reason").asText()).isEqualTo("too_many_adapters");
        assertThat(TestClient.tree(ninth.body()).path("detail").asText())
                .contains("the limit gspo.rollout.max-adapters is 8");
        assertThat(push("n5", LoraBodies.body(small, LoraBodies.adapter(config, small, 7)), "2", baseSha)
                        .statusCode())
                .isEqualTo(200);

        assertThat(send("DELETE", "/v1/adapters/n0", null, null, null, null, null)
                        .statusCode())
                .isEqualTo(401);
        List<String> names = new ArrayList<>(List.of("run-a", "run-b"));
        for (int i = 0; i < 6; i++) {
            names.add("n" + i);
        }
        for (String n : names) {
            assertThat(send("DELETE", "/v1/adapters/" + n, null, null, null, null, TOKEN)
                            .statusCode())
                    .isEqualTo(204);
        }
        assertThat(send("DELETE", "/v1/adapters/run-a", null, null, null, null, TOKEN)
                        .statusCode())
                .isEqualTo(404);
        assertThat(client.postJson(probe("run-a")).statusCode()).isEqualTo(404);
        String metrics = client.get("/actuator/prometheus").body();
        assertThat(metrics).contains("gspo_rollout_adapters_loaded{application=\"rollout-service\"} 0.0");
        assertThat(metrics).doesNotContain("gspo_rollout_adapter_version{adapter=\"run-a\"");

        HttpResponse<String> ok = client.push(next, weights);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    }

    private static RolloutRequest probe(String adapter) {
        return new RolloutRequest(
                List.of(PromptInput.tokens("a", 1, 5, 7), PromptInput.tokens("b", 4, 4)),
                3,
                SamplingSpec.of(8, 1.0, 42),
                null,
                adapter);
    }

    private HttpResponse<String> push(String name, byte[] body, String version, String announcedBase) {
        return send("PUT", "/v1/adapters/" + name, body, version, PolicyModel.sha256(body), announcedBase, TOKEN);
    }

    private HttpResponse<String> send(
            String method,
            String path,
            byte[] body,
            String version,
            String sha256,
            String baseSha256,
            String authorization) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        if (body != null) {
            r.header("Content-Type", "application/octet-stream");
        }
        if (version != null) {
            r.header("X-Policy-Version", version);
        }
        if (sha256 != null) {
            r.header("X-Content-SHA256", sha256);
        }
        if (baseSha256 != null) {
            r.header("X-Base-SHA256", baseSha256);
        }
        if (authorization != null) {
            r.header("Authorization", authorization);
        }
        return client.send(r.build());
    }

    private void assertRefusedUnchanged(Supplier<HttpResponse<String>> push, int status, String detail) {
        String before = client.get("/v1/adapters").body();
        PolicyInfo policy = client.policy();
        HttpResponse<String> r = push.get();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(TestClient.tree(r.body()).path("detail").asText()).contains(detail);
        assertThat(client.get("/v1/adapters").body()).isEqualTo(before);
        assertThat(client.policy()).isEqualTo(policy);
    }
}
