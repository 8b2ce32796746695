package dev.gspo.common.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.TestModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StoppingTest {

    @Test
    void stopsAtEosOrAtMaxNewTokensAndSaysWhichApart() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, false), 21)) {
            SamplingParams params = new SamplingParams(20, 1.5, 1.0, 0, List.of());
            List<SequenceRequest> requests = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                requests.add(new SequenceRequest(new int[] {1, 3 + i % 10}, params, i));
            }
            List<Completion> out = new BatchGenerator(model).generate(requests);
            int stopped = 0;
            for (Completion c : out) {
                int eosAt = indexOf(c.tokenIds(), 2);
                assertThat(c.finishReason())
                        .as("no stop strings: EOS or length")
                        .isNotEqualTo(FinishReason.STOP);
                if (c.finishReason() == FinishReason.EOS) {
                    stopped++;
                    assertThat(eosAt).isEqualTo(c.tokenIds().length - 1);
                } else {
                    assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
                    assertThat(c.tokenIds()).hasSize(20);
                    assertThat(eosAt).isEqualTo(-1);
                }
                assertThat(c.logprobs()).hasSameSizeAs(c.tokenIds());
                for (float lp : c.logprobs()) {
                    assertThat(lp).isLessThanOrEqualTo(0f).isGreaterThan(Float.NEGATIVE_INFINITY);
                }
            }
            // 1/16 chance of EOS per token at high temperature: over 32 rows × 20 tokens some rows must stop early
            assertThat(stopped).isBetween(1, 31);
        }
    }

    /**
     * The benchmarks' generator: the same requests that end early at EOS with the normal generator decode exactly
     * {@code maxNewTokens} each, finish reason length, with EOS sampled on as an ordinary token.
     */
    @Test
    void ignoringEosDecodesEveryRowToItsLengthWhereTheNormalGeneratorEndsSomeAtEos() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, false), 21)) {
            SamplingParams params = new SamplingParams(20, 1.5, 1.0, 0, List.of());
            List<SequenceRequest> requests = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                requests.add(new SequenceRequest(new int[] {1, 3 + i % 10}, params, i));
            }
            long endedAtEos = new BatchGenerator(model)
                    .generate(requests).stream()
                            .filter(c -> c.finishReason() == FinishReason.EOS)
                            .count();
            assertThat(endedAtEos)
                    .as("the normal generator ends some of these rows at EOS")
                    .isPositive();
            for (boolean fused : new boolean[] {true, false}) {
                List<Completion> out = BatchGenerator.ignoringEos(model, fused).generate(requests);
                assertThat(out).allSatisfy(c -> {
                    assertThat(c.tokenIds()).hasSize(20);
                    assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
                });
                assertThat(out.stream().filter(c -> indexOf(c.tokenIds(), 2) >= 0))
                        .as("EOS (id 2) is sampled and decoding goes on past it")
                        .isNotEmpty();
            }
        }
    }

    /**
     * A config.json without {@code eos_token_id}: the tokenizer's EOS ({@code <eos>}, found by name) still ends a
     * sequence, with finishReason eos, rather than being sampled on as an ordinary token up to the length limit.
     */
    @Test
    void stopsAtTheTokenizersEosWhenConfigJsonNamesNone() {
        ModelConfig llama = TestModels.config("llama", 4, 2, false);
        ModelConfig noEos = new ModelConfig(
                llama.modelType(),
                llama.vocabSize(),
                llama.hiddenSize(),
                llama.intermediateSize(),
                llama.numHiddenLayers(),
                llama.numAttentionHeads(),
                llama.numKeyValueHeads(),
                llama.headDim(),
                llama.ropeTheta(),
                llama.rmsNormEps(),
                llama.maxPositionEmbeddings(),
                llama.tieWordEmbeddings(),
                llama.attentionBias(),
                llama.bosTokenId(),
                List.of(),
                llama.moe());
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, noEos, 21)) {
            assertThat(model.config().eosTokenIds()).isEmpty();
            int eos = model.tokenizer().eosTokenId();
            assertThat(eos).as("<eos> by name").isEqualTo(2);
            SamplingParams params = new SamplingParams(20, 1.5, 1.0, 0, List.of());
            List<SequenceRequest> requests = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                requests.add(new SequenceRequest(new int[] {1, 3 + i % 10}, params, i));
            }
            int stopped = 0;
            for (Completion c : new BatchGenerator(model).generate(requests)) {
                int eosAt = indexOf(c.tokenIds(), eos);
                if (c.finishReason() == FinishReason.EOS) {
                    stopped++;
                    assertThat(eosAt).isEqualTo(c.tokenIds().length - 1);
                } else {
                    assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
                    assertThat(eosAt).as("an EOS the sequence went on after").isEqualTo(-1);
                }
            }
            // as in the test above (same weights and seeds): some of the 32 rows sample the EOS within 20 tokens
            assertThat(stopped).isPositive();
        }
    }

    @Test
    void stopStringEndsTheSequenceAndIsCutFromTheText(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = dev.gspo.common.model.BuiltinModel.create(dir, 3, manager)) {
            int[] prompt = model.tokenizer().encode("12+34=");
            SamplingParams params = new SamplingParams(30, 3.0, 1.0, 0, List.of("1", "2"));
            List<SequenceRequest> requests = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                requests.add(new SequenceRequest(prompt, params, i));
            }
            int stoppedByString = 0;
            int eos = model.tokenizer().eosTokenId();
            for (Completion c : new BatchGenerator(model).generate(requests)) {
                String full = model.tokenizer().decode(c.tokenIds());
                int last = c.tokenIds()[c.tokenIds().length - 1];
                if (c.finishReason() == FinishReason.EOS) {
                    assertThat(last).isEqualTo(eos);
                    assertThat(c.text()).doesNotContain("1", "2");
                } else if (c.finishReason() == FinishReason.LENGTH) {
                    assertThat(c.tokenIds()).hasSize(30);
                    assertThat(full).doesNotContain("1", "2");
                } else {
                    assertThat(last).as("a stop string, not EOS").isNotEqualTo(eos);
                    stoppedByString++;
                    assertThat(full).startsWith(c.text());
                    assertThat(full.substring(c.text().length())).matches("[12].*");
                    assertThat(c.text()).doesNotContain("1", "2");
                }
            }
            // at T=3 the random model is near-uniform over 50 tokens: P(no '1'/'2' in 30 tokens) ≈ 0.3
            assertThat(stoppedByString).isGreaterThan(4);
            model.tokenizer().close();
        }
    }

    @Test
    void topKOfOneIsGreedy() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("qwen2", 4, 2, true), 4)) {
            BatchGenerator g = new BatchGenerator(model);
            int[] prompt = {1, 6, 7};
            Completion greedy = g.generate(List.of(new SequenceRequest(prompt, SamplingParams.greedy(8, List.of()), 0)))
                    .getFirst();
            Completion topK = g.generate(
                            List.of(new SequenceRequest(prompt, new SamplingParams(8, 1.0, 1.0, 1, List.of()), 123)))
                    .getFirst();
            assertThat(topK.tokenIds()).isEqualTo(greedy.tokenIds());
        }
    }

    @Test
    void refusesPromptsThatDoNotFitTheContextOrTheVocabulary() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, false), 4)) {
            BatchGenerator g = new BatchGenerator(model);
            assertThatThrownBy(() -> g.generate(
                            List.of(new SequenceRequest(new int[60], SamplingParams.greedy(8, List.of()), 0))))
                    .hasMessageContaining("max_position_embeddings 64");
            assertThatThrownBy(() -> g.generate(
                            List.of(new SequenceRequest(new int[] {1, 16}, SamplingParams.greedy(8, List.of()), 0))))
                    .hasMessageContaining("token id 16");
        }
    }

    @Test
    void seedsOfDifferentSamplesDiffer() {
        assertThat(Seeds.forSample(1, 0, 0))
                .isNotEqualTo(Seeds.forSample(1, 0, 1))
                .isNotEqualTo(Seeds.forSample(1, 1, 0))
                .isNotEqualTo(Seeds.forSample(2, 0, 0));
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }
}
