package dev.gspo.common.lora;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.RunningBatch;
import dev.gspo.common.decode.RunningBatch.Admission;
import dev.gspo.common.decode.RunningBatch.Finished;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.DecodeAdapter;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.TestModels;
import dev.gspo.common.scoring.TeacherForcedScorer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rows of different adapters in one running batch over the unmerged base ({@link DecodeAdapter}): each row's samples
 * and log-probs are those of its own adapter alone (the same tokens, log-probs within 1e-5, whichever rows share its
 * batch), they equal teacher forcing under its own adapter and not under another's.
 */
class MixedAdapterBatchTest {
    private static final double TOLERANCE = 1e-5;
    private static final SamplingParams PARAMS = new SamplingParams(8, 1.0, 1.0, 0, List.of());

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "qwen3_moe"})
    void aRowDecodesAsItsOwnAdapterAloneWhateverAdaptersShareItsBatch(String type) {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelConfig config = TestModels.config(type, 4, 2, false);
            PolicyModel base = TestModels.random(manager, config, 17);
            LoraWeights loraA = LoraModelTest.randomAdapter(config, LoraConfig.of(4, 8), 5, manager);
            // another rank and only some targets: the fused terms leave the other projections' rows at zero
            LoraWeights loraB = LoraModelTest.randomAdapter(
                    config, new LoraConfig(2, 4, List.of("q_proj", "v_proj", "down_proj")), 6, manager);
            try (DecodeAdapter a = DecodeAdapter.of(config, loraA, manager);
                    DecodeAdapter b = DecodeAdapter.of(config, loraB, manager);
                    PolicyModel underA = base.withLora(loraA);
                    PolicyModel underB = base.withLora(loraB)) {
                SequenceRequest subject = new SequenceRequest(new int[] {1, 5, 6, 7}, PARAMS, 41);
                Completion alone = decode(base, List.of(new Admission<>("subject", subject, a)), List.of())
                        .get("subject");

                // beside a base row and two rows of the other adapter, joining after they started
                Map<String, Completion> mixed = decode(
                        base,
                        List.of(
                                new Admission<>("base", new SequenceRequest(new int[] {2, 3}, PARAMS, 7), null),
                                new Admission<>("b1", new SequenceRequest(new int[] {1, 5, 6, 7}, PARAMS, 41), b)),
                        List.of(
                                new Admission<>("subject", subject, a),
                                new Admission<>(
                                        "b2", new SequenceRequest(new int[] {9, 8, 7, 6, 5, 4}, PARAMS, 3), b)));
                Completion beside = mixed.get("subject");
                assertThat(beside.tokenIds()).isEqualTo(alone.tokenIds());
                assertThat(worst(beside.logprobs(), alone.logprobs())).isLessThanOrEqualTo(TOLERANCE);

                // each row equals teacher forcing under its own adapter (the base row under none) ...
                assertThat(worstAgainstTeacherForcing(underA, subject, beside, manager))
                        .isLessThanOrEqualTo(TOLERANCE);
                assertThat(worstAgainstTeacherForcing(
                                underB,
                                new SequenceRequest(new int[] {1, 5, 6, 7}, PARAMS, 41),
                                mixed.get("b1"),
                                manager))
                        .isLessThanOrEqualTo(TOLERANCE);
                assertThat(worstAgainstTeacherForcing(
                                underB,
                                new SequenceRequest(new int[] {9, 8, 7, 6, 5, 4}, PARAMS, 3),
                                mixed.get("b2"),
                                manager))
                        .isLessThanOrEqualTo(TOLERANCE);
                assertThat(worstAgainstTeacherForcing(
                                base, new SequenceRequest(new int[] {2, 3}, PARAMS, 7), mixed.get("base"), manager))
                        .isLessThanOrEqualTo(TOLERANCE);
                // ... and not under the other's, nor the base's
                assertThat(worstAgainstTeacherForcing(underB, subject, beside, manager))
                        .isGreaterThan(1e-3);
                assertThat(worstAgainstTeacherForcing(base, subject, beside, manager))
                        .isGreaterThan(1e-3);
            } finally {
                base.close();
                base.tokenizer().close();
            }
        }
    }

    /** Admits {@code first}, runs two steps, admits {@code then}, and decodes until every row has ended. */
    private static Map<String, Completion> decode(
            PolicyModel model, List<Admission<String>> first, List<Admission<String>> then) {
        Map<String, Completion> got = new HashMap<>();
        try (RunningBatch<String> batch =
                new RunningBatch<>(model, 4, 32, model.weights().manager())) {
            collect(got, batch.admit(first));
            collect(got, batch.step());
            collect(got, batch.step());
            collect(got, batch.admit(then));
            while (batch.running() > 0) {
                collect(got, batch.step());
            }
        }
        return got;
    }

    private static void collect(Map<String, Completion> got, List<Finished<String>> ended) {
        ended.forEach(f -> got.put(f.tag(), f.completion()));
    }

    private static double worst(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double w = 0;
        for (int i = 0; i < a.length; i++) {
            w = Math.max(w, Math.abs(a[i] - b[i]));
        }
        return w;
    }

    private static double worstAgainstTeacherForcing(
            PolicyModel model, SequenceRequest request, Completion out, NDManager manager) {
        try (NDScope ignored = new NDScope()) {
            float[] tf = TeacherForcedScorer.score(
                            model.transformer(),
                            manager,
                            List.of(request.promptTokenIds()),
                            List.of(out.tokenIds()),
                            new float[] {1f})
                    .logprobs()
                    .toFloatArray();
            return worst(out.logprobs(), java.util.Arrays.copyOf(tf, out.logprobs().length));
        }
    }
}
