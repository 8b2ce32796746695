package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.wire.PolicyInfo;
import dev.gspo.common.wire.PromptInput;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.common.wire.Sample;
import dev.gspo.common.wire.SampleGroup;
import dev.gspo.common.wire.SamplingSpec;
import dev.gspo.rollout.support.PolicyOracle;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.weights.PolicyRegistry;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

@RolloutIT
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RolloutApiIT {
    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    TestClient client;
    PolicyOracle oracle;

    @BeforeAll
    void setUp() {
        client = new TestClient(port);
        oracle = new PolicyOracle(registry.current().model());
        HttpResponse<byte[]> weights = client.getBytes("/v1/policy/weights");
        oracle.remember(
                Long.parseLong(weights.headers().firstValue("X-Policy-Version").orElseThrow()), weights.body());
    }

    @AfterAll
    void tearDown() {
        oracle.close();
    }

    static RolloutRequest request(long seed, double temperature, int groupSize, int maxNewTokens) {
        return new RolloutRequest(
                List.of(PromptInput.tokens("a", 1, 5, 7), PromptInput.tokens("b", 3, 3, 4, 9, 11)),
                groupSize,
                new SamplingSpec(maxNewTokens, temperature, null, null, seed, null),
                null);
    }

    @Test
    void sameSeedAndSameVersionGiveTheSameSamples() {
        RolloutResponse first = client.rollout(request(11, 1.0, 4, 12));
        RolloutResponse second = client.rollout(request(11, 1.0, 4, 12));

        assertThat(second.policyVersion()).isEqualTo(first.policyVersion());
        for (int g = 0; g < first.groups().size(); g++) {
            for (int s = 0; s < 4; s++) {
                Sample a = first.groups().get(g).samples().get(s);
                Sample b = second.groups().get(g).samples().get(s);
                assertThat(b.tokenIds()).isEqualTo(a.tokenIds());
                assertThat(b.finishReason()).isEqualTo(a.finishReason());
                for (int t = 0; t < a.logprobs().length; t++) {
                    assertThat((double) b.logprobs()[t])
                            .isCloseTo(a.logprobs()[t], org.assertj.core.data.Offset.offset(1e-6));
                }
            }
        }
    }

    @Test
    void differentSeedsGiveDifferentSamples() {
        RolloutResponse a = client.rollout(request(1, 1.0, 8, 12));
        RolloutResponse b = client.rollout(request(2, 1.0, 8, 12));

        assertThat(tokens(a)).isNotEqualTo(tokens(b));
    }

    @Test
    void returnedLogprobsAreTheTeacherForcedLogprobsOfTheSampledTokens() {
        for (double temperature : new double[] {1.0, 0.7, 0.0}) {
            RolloutResponse r = client.rollout(request(5, temperature, 4, 16));
            for (SampleGroup g : r.groups()) {
                for (Sample s : g.samples()) {
                    assertThat(s.logprobs()).hasSameSizeAs(s.tokenIds());
                    assertThat(oracle.maxError(r.policyVersion(), g.promptTokenIds(), s, temperature))
                            .as("temperature %s", temperature)
                            .isLessThanOrEqualTo(1e-5);
                }
            }
        }
    }

    @Test
    void answersEveryPromptWithGroupSizeSamplesInRequestOrder() {
        RolloutResponse r = client.rollout(request(3, 1.0, 3, 10));

        assertThat(r.groups()).extracting(SampleGroup::promptId).containsExactly("a", "b");
        assertThat(r.groups().get(0).promptTokenIds()).containsExactly(1, 5, 7);
        assertThat(r.groups().get(1).promptTokenIds()).containsExactly(3, 3, 4, 9, 11);
        long completionTokens = 0;
        for (SampleGroup g : r.groups()) {
            assertThat(g.samples()).hasSize(3);
            for (Sample s : g.samples()) {
                assertThat(s.tokenIds()).isNotEmpty().hasSizeLessThanOrEqualTo(10);
                assertThat(s.finishReason()).isIn("eos", "stop", "length");
                if (s.finishReason().equals("length")) {
                    assertThat(s.tokenIds()).hasSize(10);
                }
                if (s.finishReason().equals("eos")) {
                    assertThat(s.tokenIds()[s.tokenIds().length - 1])
                            .as("the EOS is the last token")
                            .isEqualTo(registry.current().model().tokenizer().eosTokenId());
                }
                assertThat(s.text()).isNotNull();
                completionTokens += s.tokenIds().length;
            }
        }
        assertThat(r.usage().promptTokens()).isEqualTo(8);
        assertThat(r.usage().completionTokens()).isEqualTo(completionTokens);
    }

    @Test
    void encodesTextPromptsWithTheServedTokenizer() {
        String text = "12+34=";
        RolloutResponse r = client.rollout(
                new RolloutRequest(List.of(PromptInput.text("t", text)), 2, SamplingSpec.of(4, 1.0, 9), null));

        int[] expected = registry.current().model().tokenizer().encode(text);
        assertThat(r.groups().getFirst().promptTokenIds()).isEqualTo(expected);
        assertThat(r.groups().getFirst().samples()).hasSize(2);
    }

    @Test
    void appliesTheDocumentedDefaults() {
        RolloutResponse r =
                client.rollout(new RolloutRequest(List.of(PromptInput.tokens(null, 4, 5)), null, null, null));

        assertThat(r.groups()).singleElement().satisfies(g -> {
            assertThat(g.promptId()).isEqualTo("0");
            assertThat(g.samples()).singleElement().satisfies(s -> assertThat(s.tokenIds())
                    .hasSizeLessThanOrEqualTo(16));
        });
    }

    @Test
    void refusesARequestForANewerPolicyThanItServes() {
        long served = client.policy().version();
        RolloutRequest ahead =
                new RolloutRequest(List.of(PromptInput.tokens("a", 4)), 1, SamplingSpec.defaults(), served + 1);

        HttpResponse<String> r = client.postJson(ahead);

        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(TestClient.tree(r.body()).path("policyVersion").asLong()).isEqualTo(served);
        RolloutRequest current =
                new RolloutRequest(List.of(PromptInput.tokens("a", 4)), 1, SamplingSpec.defaults(), served);
        assertThat(client.rollout(current).policyVersion()).isEqualTo(served);
    }

    @Test
    void describesTheServedPolicyAndServesItsBytes() {
        PolicyInfo info = client.policy();
        HttpResponse<byte[]> weights = client.getBytes("/v1/policy/weights");

        assertThat(info.version()).isZero();
        assertThat(info.modelType()).isEqualTo("llama");
        ModelConfig served = registry.current().model().config();
        assertThat(info.vocabSize()).isEqualTo(served.vocabSize());
        // the served config.json, from which every tensor's shape follows (what the optimizer checks a run against)
        assertThat(ModelConfig.fromJson(new ObjectMapper().valueToTree(info.config()), "GET /v1/policy"))
                .isEqualTo(served);
        assertThat(info.parameters())
                .isEqualTo(registry.current().model().weights().parameterCount());
        assertThat(weights.statusCode()).isEqualTo(200);
        assertThat(weights.headers().firstValue("X-Policy-Version")).hasValue("0");
        assertThat(weights.headers().firstValue("X-Content-SHA256")).hasValue(info.sha256());
        assertThat(PolicyModel.sha256(weights.body())).isEqualTo(info.sha256());
        assertThat(Safetensors.read(weights.body()))
                .hasSize(registry.current().model().weights().byName().size());
    }

    private static List<List<Integer>> tokens(RolloutResponse r) {
        return r.groups().stream()
                .flatMap(g -> g.samples().stream())
                .map(s -> java.util.Arrays.stream(s.tokenIds()).boxed().toList())
                .toList();
    }
}
