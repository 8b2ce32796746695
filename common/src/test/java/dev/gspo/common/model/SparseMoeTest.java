package dev.gspo.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.gspo.common.scoring.TeacherForcedScorer;
import dev.gspo.common.train.Gradients;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The MoE block under autograd and under routing replay (the numerics are {@link ReferenceModelTest}'s). */
class SparseMoeTest {
    private static final List<int[]> PROMPTS = List.of(new int[] {1, 5, 6}, new int[] {1, 9});
    private static final List<int[]> RESPONSES = List.of(new int[] {7, 8, 3}, new int[] {4, 2});

    @Test
    void gradientsReachTheRouterAndExactlyTheExpertsTokensWereRoutedTo() {
        ModelConfig config = new ModelConfig(
                "qwen3_moe",
                16,
                32,
                64,
                1,
                4,
                2,
                12,
                10000.0,
                1e-6,
                64,
                true,
                false,
                1,
                List.of(2),
                new MoeConfig(6, 1, 16, false, 1, List.of()));
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, config, 21)) {
            Set<Integer> routed = new HashSet<>();
            backward(model, (layer, chosen, n, k) -> {
                for (int e : chosen) {
                    routed.add(e);
                }
                return chosen;
            });
            assertThat(routed)
                    .as("a 5-token input leaves some of 6 experts idle at k = 1")
                    .hasSizeLessThan(6);
            assertThat(gradNorm(model, "model.layers.0.mlp.gate.weight")).isGreaterThan(0);
            for (int e = 0; e < 6; e++) {
                double g = gradNorm(model, "model.layers.0.mlp.experts." + e + ".down_proj.weight");
                if (routed.contains(e)) {
                    assertThat(g).as("expert %d (routed)", e).isGreaterThan(0);
                } else {
                    assertThat(g).as("expert %d (idle)", e).isZero();
                }
            }
            model.tokenizer().close();
        }
    }

    @Test
    void replayedRoutingSendsEveryTokenToTheGivenExpertsAndTheRouterStillLearns() {
        ModelConfig config = TestModels.config("qwen3_moe", 4, 2, true); // 4 experts, top-2, renormalised
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, config, 22)) {
            // every token to experts 3 and 1, whatever the router prefers
            backward(model, (layer, chosen, n, k) -> {
                int[] forced = new int[n * k];
                for (int i = 0; i < n; i++) {
                    forced[i * k] = 3;
                    forced[i * k + 1] = 1;
                }
                return forced;
            });
            for (int layer = 0; layer < 2; layer++) {
                String p = "model.layers." + layer + ".mlp.";
                assertThat(gradNorm(model, p + "gate.weight")).isGreaterThan(0);
                assertThat(gradNorm(model, p + "experts.3.up_proj.weight")).isGreaterThan(0);
                assertThat(gradNorm(model, p + "experts.1.up_proj.weight")).isGreaterThan(0);
                assertThat(gradNorm(model, p + "experts.0.up_proj.weight")).isZero();
                assertThat(gradNorm(model, p + "experts.2.up_proj.weight")).isZero();
            }
            model.tokenizer().close();
        }
    }

    @Test
    void replayThatRepeatsAnExpertWithinATokenIsRefused() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("qwen3_moe", 4, 2, true), 23);
                NDScope ignored = new NDScope()) {
            assertThatThrownBy(() -> TeacherForcedScorer.score(
                            model.transformer(),
                            manager,
                            PROMPTS,
                            RESPONSES,
                            new float[] {1f, 1f},
                            false,
                            (layer, chosen, n, k) -> new int[n * k]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("routed twice");
            model.tokenizer().close();
        }
    }

    @Test
    void topKOrdersByProbabilityAndPrefersTheLowerIndexOnTies() {
        float[] p = {0.1f, 0.4f, 0.1f, 0.4f, 0.7f, 0.2f, 0.05f, 0.05f};
        assertThat(SparseMoe.topK(p, 2, 4, 2)).containsExactly(1, 3, 0, 1);
    }

    private static void backward(PolicyModel model, ExpertRouting routing) {
        Autograd.offForThisThread();
        model.weights().parameters().forEach(a -> a.setRequiresGradient(true));
        Gradients.zero(model.weights().parameters());
        try (NDScope ignored = new NDScope();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray lp = TeacherForcedScorer.score(
                            model.transformer(),
                            model.weights().manager(),
                            PROMPTS,
                            RESPONSES,
                            new float[] {1f, 1f},
                            false,
                            routing)
                    .logprobs();
            gc.backward(lp.sum().neg());
        }
    }

    private static double gradNorm(PolicyModel model, String name) {
        try (NDScope ignored = new NDScope()) {
            return model.weights().get(name).getGradient().abs().sum().getFloat();
        }
    }
}
