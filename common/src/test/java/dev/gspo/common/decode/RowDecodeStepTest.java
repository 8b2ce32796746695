package dev.gspo.common.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.DecodeWeights;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.RowDecodeStep;
import dev.gspo.common.model.TestModels;
import dev.gspo.common.scoring.ResponseLogprobs;
import dev.gspo.common.scoring.TeacherForcedScorer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A one-row generate call decodes its steps in Java ({@link RowDecodeStep}); it must give what the libtorch path
 * gives (the same greedy tokens, log-probs within 1e-5) and what teacher forcing scores (within 1e-5), for every dense
 * architecture feature: q/k norms (qwen3), q/k/v biases (qwen2), grouped-query attention, untied LM heads; and the
 * cases it does not cover (MoE layers, LoRA adapters) must fall back to libtorch.
 */
class RowDecodeStepTest {
    private static final double TOLERANCE = 1e-5;

    @ParameterizedTest(name = "{0} heads={1}/{2} tied={3}")
    @CsvSource({
        "llama, 4, 2, true",
        "llama, 4, 4, false",
        "qwen2, 4, 1, true",
        "qwen2, 2, 2, false",
        "qwen3, 4, 2, false",
        "qwen3, 4, 1, true"
    })
    void aOneRowCallDecodesInJavaAsTheLibtorchPathAndTeacherForcing(String type, int heads, int kv, boolean tied) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config(type, heads, kv, tied), 23)) {
            // greedy: the same tokens whatever the last bits, so the two paths are compared on the same sequence
            SequenceRequest greedy =
                    new SequenceRequest(new int[] {1, 5, 6, 7}, new SamplingParams(24, 0.0, 1.0, 0, List.of()), 3);
            long before = RowDecodeStep.stepsRun();
            Completion java =
                    new BatchGenerator(model).generate(List.of(greedy)).getFirst();
            long javaSteps = RowDecodeStep.stepsRun() - before;
            Completion libtorch = new BatchGenerator(model)
                    .withLibtorchSteps()
                    .generate(List.of(greedy))
                    .getFirst();

            assertThat(javaSteps).as("steps decoded in Java").isEqualTo(java.tokenIds().length - 1L);
            assertThat(RowDecodeStep.stepsRun() - before)
                    .as("the libtorch control ran none")
                    .isEqualTo(javaSteps);
            assertThat(java.tokenIds()).isEqualTo(libtorch.tokenIds());
            assertClose(java.logprobs(), libtorch.logprobs());
            assertEqualsTeacherForcing(model, greedy, java, manager);

            // sampled at T = 0.7 (log-probs at the sampling temperature) against teacher forcing
            SequenceRequest sampled =
                    new SequenceRequest(new int[] {1, 10, 11}, new SamplingParams(24, 0.7, 1.0, 0, List.of()), 8);
            Completion c = new BatchGenerator(model).generate(List.of(sampled)).getFirst();
            assertEqualsTeacherForcing(model, sampled, c, manager);
        }
    }

    @Test
    void theBuiltInModelDecodesInJavaAsTheLibtorchPath(@TempDir Path dir) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = BuiltinModel.create(dir, 5, manager)) {
            SequenceRequest greedy =
                    new SequenceRequest(new int[] {1, 5, 6, 7, 8}, new SamplingParams(40, 0.0, 1.0, 0, List.of()), 3);
            Completion java = BatchGenerator.ignoringEos(model, true)
                    .generate(List.of(greedy))
                    .getFirst();
            Completion libtorch = BatchGenerator.ignoringEos(model, true)
                    .withLibtorchSteps()
                    .generate(List.of(greedy))
                    .getFirst();
            assertThat(java.tokenIds()).hasSize(40).isEqualTo(libtorch.tokenIds());
            assertClose(java.logprobs(), libtorch.logprobs());
            assertEqualsTeacherForcing(model, greedy, java, manager);
        }
    }

    @Test
    void aMoeModelOrAnAdaptedModelFallsBackToLibtorch() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelConfig moeConfig = TestModels.config("qwen3_moe", 4, 2, true);
            ModelConfig dense = TestModels.config("llama", 4, 2, false);
            try (PolicyModel moe = TestModels.random(manager, moeConfig, 5);
                    PolicyModel base = TestModels.random(manager, dense, 5)) {
                LoraWeights lora = LoraWeights.init(dense, LoraConfig.of(4, 8), 5, manager);
                try (PolicyModel adapted = base.withLora(lora)) {
                    for (PolicyModel m : List.of(moe, adapted)) {
                        try (DecodeWeights fused = m.transformer().decodeWeights(manager)) {
                            assertThat(RowDecodeStep.of(m.transformer(), fused))
                                    .as(m.config().modelType() + (m.lora().isPresent() ? " + LoRA" : ""))
                                    .isNull();
                        }
                        SequenceRequest r = new SequenceRequest(
                                new int[] {1, 5, 6}, new SamplingParams(12, 1.0, 1.0, 0, List.of()), 4);
                        long before = RowDecodeStep.stepsRun();
                        Completion c =
                                new BatchGenerator(m).generate(List.of(r)).getFirst();
                        assertThat(RowDecodeStep.stepsRun()).isEqualTo(before);
                        assertEqualsTeacherForcing(m, r, c, manager);
                    }
                }
                // the dense base itself does decode in Java
                try (DecodeWeights fused = base.transformer().decodeWeights(manager)) {
                    assertThat(RowDecodeStep.of(base.transformer(), fused)).isNotNull();
                }
                assertThat(RowDecodeStep.of(base.transformer(), null))
                        .as("the unfused control")
                        .isNull();
            }
        }
    }

    @Test
    void rowsOfABatchStillDecodeThroughLibtorch() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, true), 2)) {
            SamplingParams params = new SamplingParams(10, 1.0, 1.0, 0, List.of());
            long before = RowDecodeStep.stepsRun();
            new BatchGenerator(model)
                    .generate(List.of(
                            new SequenceRequest(new int[] {1, 5}, params, 1),
                            new SequenceRequest(new int[] {1, 6}, params, 2)));
            new BatchGenerator(model).generateWithoutCache(List.of(new SequenceRequest(new int[] {1, 5}, params, 1)));
            BatchGenerator.unfused(model).generate(List.of(new SequenceRequest(new int[] {1, 5}, params, 1)));
            assertThat(RowDecodeStep.stepsRun()).isEqualTo(before);
        }
    }

    private static void assertEqualsTeacherForcing(
            PolicyModel model, SequenceRequest request, Completion c, NDManager manager) {
        try (NDScope ignored = new NDScope()) {
            ResponseLogprobs scored = TeacherForcedScorer.score(
                    model.transformer(),
                    manager,
                    List.of(request.promptTokenIds()),
                    List.of(c.tokenIds()),
                    new float[] {request.params().logprobTemperature()});
            float[] flat = scored.logprobs().toFloatArray();
            float[] lp = c.logprobs();
            assertThat(lp).isNotEmpty();
            for (int t = 0; t < lp.length; t++) {
                assertThat((double) flat[t]).as("token %d", t).isCloseTo(lp[t], within(TOLERANCE));
            }
        }
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat((double) actual[i]).as("index %d", i).isCloseTo(expected[i], within(TOLERANCE));
        }
    }
}
