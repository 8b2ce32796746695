package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.lora.PeftAdapter;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.model.TensorSpec;
import dev.gspo.common.wire.PolicyInfo;
import dev.gspo.common.wire.PromptInput;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.common.wire.SampleGroup;
import dev.gspo.common.wire.SamplingSpec;
import dev.gspo.rollout.support.PolicyOracle;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.support.WeightSets;
import dev.gspo.rollout.weights.PolicyRegistry;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * {@code PUT /v1/policy/adapter}: the replica serves its kept base with the pushed LoRA adapter merged in. The
 * expected weights are computed here in plain Java (W + (α/r)·B A, double loops over the pusher's floats), so the
 * replica's sampled log-probs are checked against an oracle that shares none of its merging code. Every refusal
 * leaves the served version as it was.
 */
@RolloutIT
@DirtiesContext
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdapterPushIT {
    private static final String TOKEN = "Bearer " + RolloutIT.PUSH_TOKEN;
    private static final RolloutRequest PROBE = new RolloutRequest(
            List.of(PromptInput.tokens("a", 1, 5, 7), PromptInput.tokens("b", 4, 4)),
            3,
            SamplingSpec.of(8, 1.0, 42),
            null);
    private static final LoraConfig LORA = new LoraConfig(4, 8, List.of("q_proj", "v_proj", "o_proj", "down_proj"));

    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    TestClient client;
    PolicyOracle oracle;
    ModelConfig config;
    List<Safetensors.Tensor> base;
    String baseSha;
    NDManager manager;

    @BeforeAll
    void setUp() {
        client = new TestClient(port);
        oracle = new PolicyOracle(registry.current().model());
        config = registry.current().model().config();
        manager = NDManager.newBaseManager();
        base = WeightSets.random(config, 77);
        byte[] bytes = WeightSets.bytes(base);
        baseSha = PolicyModel.sha256(bytes);
        long version = client.policy().version() + 1;
        assertThat(client.push(version, bytes).statusCode()).isEqualTo(200);
        oracle.remember(version, base);
    }

    @AfterAll
    void tearDown() {
        oracle.close();
        manager.close();
    }

    @Test
    void servesTheBaseWithTheAdapterMergedInAndMergesEachAdapterOntoTheBase() {
        for (long seed : new long[] {1, 2}) { // the second adapter replaces the first: merged onto the base again
            Map<String, Safetensors.Tensor> adapter = adapter(seed);
            byte[] body = body(adapter);
            long version = client.policy().version() + 1;

            HttpResponse<String> ok = push(body, version, baseSha);

            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            PolicyInfo info = TestClient.read(ok.body(), PolicyInfo.class);
            assertThat(info.version()).isEqualTo(version);
            assertThat(info.baseSha256()).isEqualTo(baseSha);
            assertThat(info.adapter().rank()).isEqualTo(4);
            assertThat(info.adapter().alpha()).isEqualTo(8.0);
            assertThat(info.adapter().targets()).containsExactly("q_proj", "v_proj", "o_proj", "down_proj");
            assertThat(info.adapter().sha256()).isEqualTo(PolicyModel.sha256(body));
            assertThat(info.adapter().bytes()).isEqualTo(body.length);
            assertThat(client.policy()).isEqualTo(info);
            oracle.remember(version, merged(adapter));
            RolloutResponse r = client.rollout(PROBE);
            assertThat(r.policyVersion()).isEqualTo(version);
            for (SampleGroup g : r.groups()) {
                g.samples().forEach(s -> assertThat(oracle.maxError(version, g.promptTokenIds(), s, 1.0))
                        .isLessThan(1e-5));
            }
        }
    }

    @Test
    void refusesAnAdapterForAnotherBaseWith409() {
        byte[] body = body(adapter(3));
        String otherBase = PolicyModel.sha256(WeightSets.randomBytes(config, 5));
        assertRefusedUnchanged(() -> push(body, next(), otherBase), 409, "push the base weights first");
    }

    @Test
    void refusesNonFiniteValuesInAOrB() {
        for (String suffix : new String[] {LoraWeights.A_SUFFIX, LoraWeights.B_SUFFIX}) {
            Map<String, Safetensors.Tensor> poisoned = adapter(4);
            String name = "model.layers.1.self_attn.v_proj" + suffix;
            Safetensors.Tensor t = poisoned.get(name);
            float[] d = t.data().clone();
            d[3] = Float.NaN;
            poisoned.put(name, Safetensors.Tensor.f32(name, t.shape(), d));
            assertRefusedUnchanged(
                    () -> push(body(poisoned), next(), baseSha),
                    422,
                    "tensor " + name + " has a non-finite value (NaN) at index 3");
        }
    }

    @Test
    void refusesAnAdapterWhoseMergedWeightsAreNotFinite() {
        Map<String, Safetensors.Tensor> huge = new LinkedHashMap<>(); // finite A and B, but W + (α/r)·B A overflows
        adapter(8).forEach((name, t) -> {
            float[] d = new float[t.data().length];
            java.util.Arrays.fill(d, 1e30f);
            huge.put(name, Safetensors.Tensor.f32(name, t.shape(), d));
        });
        assertRefusedUnchanged(
                () -> push(body(huge), next(), baseSha),
                422,
                "merging the adapter into the base weights gives a non-finite value");
    }

    @Test
    void refusesShapesOrTargetsThatDoNotFitTheServedModel() {
        Map<String, Safetensors.Tensor> wrong = adapter(5);
        String name = "model.layers.0.self_attn.q_proj" + LoraWeights.A_SUFFIX;
        wrong.put(name, Safetensors.Tensor.f32(name, new long[] {4, 7}, new float[28]));
        assertRefusedUnchanged(() -> push(body(wrong), next(), baseSha), 422, "has shape [4, 7]");
        Map<String, Safetensors.Tensor> extra = adapter(6);
        String up = "model.layers.0.mlp.up_proj" + LoraWeights.A_SUFFIX; // up_proj is not among the targets
        extra.put(
                up,
                Safetensors.Tensor.f32(up, new long[] {4, config.hiddenSize()}, new float[4 * config.hiddenSize()]));
        assertRefusedUnchanged(() -> push(body(extra), next(), baseSha), 422, "unexpected tensor " + up);
    }

    @Test
    void refusesWithoutTheTokenOrTheHeadersAndStaleVersions() {
        byte[] body = body(adapter(7));
        String sha = PolicyModel.sha256(body);
        assertRefusedUnchanged(() -> client.pushAdapter(body, next(), sha, baseSha, null), 401, "Authorization");
        assertRefusedUnchanged(() -> client.pushAdapter(body, next(), sha, baseSha, "Bearer wrong"), 403, "push token");
        assertRefusedUnchanged(() -> client.pushAdapter(body, next(), sha, null, TOKEN), 400, "X-Base-SHA256");
        assertRefusedUnchanged(() -> client.pushAdapter(body, next(), sha, "abc", TOKEN), 400, "X-Base-SHA256");
        assertRefusedUnchanged(() -> client.pushAdapter(body, next(), baseSha, baseSha, TOKEN), 400, "does not match");
        long current = client.policy().version();
        assertRefusedUnchanged(() -> push(body, current, baseSha), 409, "only move forward");
        byte[] plain = WeightSets.bytes(base); // full weights, no LoRA metadata
        assertRefusedUnchanged(() -> push(plain, current + 1, baseSha), 400, "peft_type");
    }

    private HttpResponse<String> push(byte[] body, long version, String announcedBase) {
        return push(body, Long.toString(version), announcedBase);
    }

    private HttpResponse<String> push(byte[] body, String version, String announcedBase) {
        return client.pushAdapter(body, version, PolicyModel.sha256(body), announcedBase, TOKEN);
    }

    private void assertRefusedUnchanged(Supplier<HttpResponse<String>> push, int status, String detail) {
        PolicyInfo before = client.policy();
        HttpResponse<String> r = push.get();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(TestClient.tree(r.body()).path("detail").asText()).contains(detail);
        assertThat(client.policy()).isEqualTo(before);
    }

    private String next() {
        return Long.toString(client.policy().version() + 1);
    }

    /** Random A and B (B ≠ 0), keyed by internal names. */
    private Map<String, Safetensors.Tensor> adapter(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
        for (TensorSpec spec : LoraWeights.specs(config, LORA)) {
            float[] d = new float[Math.toIntExact(spec.elementCount())];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (0.2 * rng.nextGaussian());
            }
            out.put(spec.name(), Safetensors.Tensor.f32(spec.name(), spec.shape(), d));
        }
        return out;
    }

    private byte[] body(Map<String, Safetensors.Tensor> adapter) {
        // LoraWeights refuses bad tensors, so a poisoned adapter is written directly under PEFT's names
        Map<String, String> metadata = Map.of(
                "format", "pt",
                "peft_type", "LORA",
                "r", "4",
                "lora_alpha", "8.0",
                "target_modules", String.join(",", LORA.targets()));
        List<Safetensors.Tensor> peft = new ArrayList<>();
        adapter.values()
                .forEach(t -> peft.add(Safetensors.Tensor.f32(PeftAdapter.peftName(t.name()), t.shape(), t.data())));
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            Safetensors.write(out, peft, metadata);
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** W + (α/r)·B A in plain Java, from the pusher's floats. */
    private List<Safetensors.Tensor> merged(Map<String, Safetensors.Tensor> adapter) {
        double scale = LORA.scale();
        List<Safetensors.Tensor> out = new ArrayList<>();
        for (Safetensors.Tensor w : base) {
            String module = w.name().substring(0, w.name().length() - ".weight".length());
            Safetensors.Tensor a = adapter.get(module + LoraWeights.A_SUFFIX);
            if (a == null) {
                out.add(w);
                continue;
            }
            Safetensors.Tensor b = adapter.get(module + LoraWeights.B_SUFFIX);
            int outDim = (int) w.shape()[0];
            int in = (int) w.shape()[1];
            int r = (int) a.shape()[0];
            float[] d = w.data().clone();
            for (int o = 0; o < outDim; o++) {
                for (int i = 0; i < in; i++) {
                    double sum = 0;
                    for (int k = 0; k < r; k++) {
                        sum += (double) b.data()[o * r + k] * a.data()[k * in + i];
                    }
                    d[o * in + i] = (float) (d[o * in + i] + scale * sum);
                }
            }
            out.add(Safetensors.Tensor.f32(w.name(), w.shape(), d));
        }
        return out;
    }
}
