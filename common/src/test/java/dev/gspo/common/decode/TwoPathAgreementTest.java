package dev.gspo.common.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.TestModels;
import dev.gspo.common.scoring.ResponseLogprobs;
import dev.gspo.common.scoring.TeacherForcedScorer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The KV-cached decode, the uncached decode and teacher forcing must agree on the same tokens and weights. */
class TwoPathAgreementTest {

    @ParameterizedTest(name = "{0} heads={1}/{2} padded={3}")
    @CsvSource({
        "llama, 4, 2, true",
        "llama, 4, 2, false",
        "qwen2, 4, 1, true",
        "qwen2, 2, 2, false",
        "qwen3, 4, 2, true",
        "qwen3, 4, 4, false",
        "qwen3_moe, 4, 2, true",
        "qwen3_moe, 4, 1, false"
    })
    void fusedDecodeMatchesTheUnfusedControl(String type, int heads, int kv, boolean padded) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config(type, heads, kv, true), 13)) {
            SamplingParams params = new SamplingParams(10, 1.0, 1.0, 0, List.of());
            int[][] prompts = padded
                    ? new int[][] {{1, 5, 6, 7, 8, 9, 3}, {1, 4}, {3}}
                    : new int[][] {{1, 5, 6}, {1, 4, 9}, {3, 3, 7}}; // equal lengths: decode steps run without a mask
            List<SequenceRequest> requests = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                requests.add(new SequenceRequest(prompts[i], params, Seeds.forSample(9, i, 0)));
            }
            List<Completion> fused = new BatchGenerator(model).generate(requests);
            List<Completion> control = BatchGenerator.unfused(model).generate(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertThat(fused.get(i).tokenIds())
                        .as("row %d tokens", i)
                        .isEqualTo(control.get(i).tokenIds());
                assertClose(fused.get(i).logprobs(), control.get(i).logprobs(), 1e-5);
            }
        }
    }

    @ParameterizedTest(name = "{0} heads={1}/{2} tied={3} T={4}")
    @CsvSource({
        "llama, 4, 2, false, 1.0",
        "llama, 4, 4, true, 0.7",
        "qwen2, 4, 1, true, 1.3",
        "qwen2, 2, 2, false, 0.0",
        "qwen3, 4, 1, true, 0.7",
        "qwen3, 2, 2, false, 1.0",
        "qwen3_moe, 4, 2, false, 1.0",
        "qwen3_moe, 2, 1, true, 0.7"
    })
    void cachedDecodeUncachedDecodeAndTeacherForcingAgree(String type, int heads, int kv, boolean tied, double temp) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config(type, heads, kv, tied), 11)) {
            SamplingParams params = new SamplingParams(12, temp, 1.0, 0, List.of());
            List<SequenceRequest> requests = new ArrayList<>();
            int[][] prompts = {{1, 5, 6, 7, 8, 9, 3}, {1, 4}, {1, 10, 11, 12}, {3}};
            for (int i = 0; i < prompts.length; i++) {
                for (int g = 0; g < 2; g++) {
                    requests.add(new SequenceRequest(prompts[i], params, Seeds.forSample(5, i, g)));
                }
            }
            BatchGenerator generator = new BatchGenerator(model);
            List<Completion> cached = generator.generate(requests);
            List<Completion> uncached = generator.generateWithoutCache(requests);

            List<int[]> ps = new ArrayList<>();
            List<int[]> rs = new ArrayList<>();
            float[] temps = new float[requests.size()];
            for (int i = 0; i < requests.size(); i++) {
                assertThat(uncached.get(i).tokenIds())
                        .as("row %d tokens", i)
                        .isEqualTo(cached.get(i).tokenIds());
                assertClose(uncached.get(i).logprobs(), cached.get(i).logprobs(), 1e-5);
                ps.add(requests.get(i).promptTokenIds());
                rs.add(cached.get(i).tokenIds());
                temps[i] = params.logprobTemperature();
            }
            try (NDScope ignored = new NDScope()) {
                ResponseLogprobs scored = TeacherForcedScorer.score(model.transformer(), manager, ps, rs, temps);
                int width = (int) scored.logprobs().getShape().get(1);
                float[] flat = scored.logprobs().toFloatArray();
                for (int i = 0; i < requests.size(); i++) {
                    float[] lp = cached.get(i).logprobs();
                    for (int t = 0; t < width; t++) {
                        assertThat(flat[i * width + t])
                                .as("row %d token %d", i, t)
                                .isCloseTo(t < lp.length ? lp[t] : 0f, within(1e-5f));
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"llama", "qwen2", "qwen3_moe"})
    void aRowsSamplesDoNotDependOnItsBatchMates(String type) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config(type, 4, 2, false), 3)) {
            SamplingParams params = new SamplingParams(10, 1.0, 0.9, 8, List.of());
            SequenceRequest alone = new SequenceRequest(new int[] {1, 4, 5}, params, 99);
            BatchGenerator generator = new BatchGenerator(model);
            Completion single = generator.generate(List.of(alone)).getFirst();
            Completion batched = generator
                    .generate(List.of(
                            new SequenceRequest(new int[] {1, 7, 8, 9, 10, 11}, params, 1),
                            alone,
                            new SequenceRequest(new int[] {3}, params, 2)))
                    .get(1);
            assertThat(batched.tokenIds()).isEqualTo(single.tokenIds());
            assertClose(batched.logprobs(), single.logprobs(), 1e-5);
        }
    }

    static void assertClose(float[] actual, float[] expected, double tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat((double) actual[i]).as("index %d", i).isCloseTo(expected[i], within(tolerance));
        }
    }
}
