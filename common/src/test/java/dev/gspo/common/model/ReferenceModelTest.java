package dev.gspo.common.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.scoring.ResponseLogprobs;
import dev.gspo.common.scoring.TeacherForcedScorer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java transformer against an independent float64 implementation of HF's llama/qwen2/qwen3
 * ({@code scripts/reference/make_model_reference.py}): models loaded from the HF files it wrote, log-probs of its
 * token sequences at two temperatures, all sequences scored in one right-padded batch.
 */
class ReferenceModelTest {
    private static final double TOLERANCE = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "llama-gqa",
                "llama-tied",
                "qwen2-gqa",
                "qwen2-untied",
                "qwen3-headdim",
                "qwen3-untied",
                "qwen3moe-top2",
                "qwen3moe-step2"
            })
    void teacherForcedLogprobsMatchTheReference(String name) throws IOException {
        Path dir = TestModels.resource("reference/model/" + name);
        JsonNode expected = JSON.readTree(dir.resolve("expected.json").toFile());
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = PolicyModel.load(dir, manager)) {
            assertThat(model.config().modelType())
                    .isEqualTo(expected.get("model_type").asText());
            double worst = worstDifference(model, expected, name, TOLERANCE);
            System.out.printf("reference %-16s max |Δ log-prob| = %.3g%n", name, worst);
            model.tokenizer().close();
        }
    }

    /** The fixtures have the power to catch a q/k norm left out: with unit norm weights the log-probs move. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"self_attn.q_norm.weight", "self_attn.k_norm.weight"})
    void qwen3ReferenceCatchesAMissingQueryOrKeyNorm(String norm) throws IOException {
        Path dir = TestModels.resource("reference/model/qwen3-headdim");
        JsonNode expected = JSON.readTree(dir.resolve("expected.json").toFile());
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = PolicyModel.load(dir, manager)) {
            Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
            for (Safetensors.Tensor t : model.weights().toTensors()) {
                float[] data = t.data();
                if (t.name().endsWith(norm)) {
                    data = new float[data.length];
                    Arrays.fill(data, 1f); // as if the norm only normalised (or, for a wrong head_dim, not at all)
                }
                tensors.put(t.name(), Safetensors.Tensor.f32(t.name(), t.shape(), data));
            }
            try (PolicyModel broken = model.withWeights(tensors, manager)) {
                assertThat(worstDifference(broken, expected, "broken " + norm, Double.POSITIVE_INFINITY))
                        .isGreaterThan(100 * TOLERANCE);
            }
            model.tokenizer().close();
        }
    }

    /** The experts each token of the first sequence is routed to, per sparse layer, in the reference's order. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"qwen3moe-top2", "qwen3moe-step2"})
    void routesEveryTokenToTheReferenceExperts(String name) throws IOException {
        Path dir = TestModels.resource("reference/model/" + name);
        JsonNode expected = JSON.readTree(dir.resolve("expected.json").toFile());
        JsonNode first = expected.get("sequences").get(0);
        int[] tokens = ints(first.get("tokens"));
        int k = first.get("prompt_length").asInt();
        Map<Integer, int[]> seen = new java.util.TreeMap<>();
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = PolicyModel.load(dir, manager);
                NDScope ignored = new NDScope()) {
            TeacherForcedScorer.score(
                    model.transformer(),
                    manager,
                    List.of(Arrays.copyOf(tokens, k)),
                    List.of(Arrays.copyOfRange(tokens, k, tokens.length)),
                    new float[] {1f},
                    false,
                    (layer, chosen, n, topK) -> {
                        seen.put(layer, chosen.clone());
                        return chosen;
                    });
            JsonNode want = expected.get("experts_first_sequence");
            assertThat(seen.keySet().stream().map(String::valueOf).toList())
                    .containsExactlyElementsOf(() -> want.fieldNames());
            int topK = model.config().moe().numExpertsPerTok();
            for (var e : seen.entrySet()) {
                JsonNode layer = want.get(String.valueOf(e.getKey()));
                // the scored input is every token but the last one
                for (int t = 0; t < tokens.length - 1; t++) {
                    for (int j = 0; j < topK; j++) {
                        assertThat(e.getValue()[t * topK + j])
                                .as("layer %d token %d slot %d", e.getKey(), t, j)
                                .isEqualTo(layer.get(t).get(j).asInt());
                    }
                }
            }
            model.tokenizer().close();
        }
    }

    /** Max |Java − reference| over every response token of every sequence at both temperatures; each ≤ tolerance. */
    private static double worstDifference(PolicyModel model, JsonNode expected, String name, double tolerance) {
        NDManager manager = model.weights().manager();
        double worst = 0;
        for (JsonNode temperature : expected.get("temperature_cases")) {
            List<int[]> prompts = new ArrayList<>();
            List<int[]> responses = new ArrayList<>();
            List<JsonNode> wanted = new ArrayList<>();
            for (JsonNode seq : expected.get("sequences")) {
                int[] tokens = ints(seq.get("tokens"));
                int k = seq.get("prompt_length").asInt();
                prompts.add(Arrays.copyOfRange(tokens, 0, k));
                responses.add(Arrays.copyOfRange(tokens, k, tokens.length));
                wanted.add(seq.get("logprobs").get(temperature.asText()));
            }
            float[] temps = new float[prompts.size()];
            Arrays.fill(temps, (float) temperature.asDouble());
            try (NDScope ignored = new NDScope()) {
                ResponseLogprobs lp =
                        TeacherForcedScorer.score(model.transformer(), manager, prompts, responses, temps);
                int width = (int) lp.logprobs().getShape().get(1);
                float[] flat = lp.logprobs().toFloatArray();
                for (int i = 0; i < wanted.size(); i++) {
                    for (int t = 0; t < wanted.get(i).size(); t++) {
                        double diff = Math.abs(
                                flat[i * width + t] - wanted.get(i).get(t).asDouble());
                        worst = Math.max(worst, diff);
                        assertThat(diff)
                                .as("%s T=%s sequence %d token %d", name, temperature, i, t)
                                .isLessThanOrEqualTo(tolerance);
                    }
                }
            }
        }
        return worst;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-gqa", "qwen2-untied", "qwen3-headdim", "qwen3moe-top2", "qwen3moe-step2"})
    void kvCachedGreedyDecodeReproducesTheReferenceContinuation(String name) throws IOException {
        Path dir = TestModels.resource("reference/model/" + name);
        JsonNode expected = JSON.readTree(dir.resolve("expected.json").toFile());
        JsonNode greedy = null;
        for (JsonNode seq : expected.get("sequences")) {
            if (seq.path("greedy").asBoolean()) {
                greedy = seq;
            }
        }
        assertThat(greedy).as("fixture has a greedy sequence").isNotNull();
        int[] tokens = ints(greedy.get("tokens"));
        int k = greedy.get("prompt_length").asInt();
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = PolicyModel.load(dir, manager)) {
            int n = tokens.length - k;
            // max_new_tokens = n, no stop: EOS might appear in the reference continuation, so cut at the same place
            Completion c = new BatchGenerator(model)
                    .generate(List.of(
                            new SequenceRequest(Arrays.copyOf(tokens, k), SamplingParams.greedy(n, List.of()), 0)))
                    .getFirst();
            int[] want = Arrays.copyOfRange(tokens, k, k + c.tokenIds().length);
            assertThat(c.tokenIds()).isEqualTo(want);
            JsonNode lp = greedy.get("logprobs").get("1.0");
            for (int t = 0; t < c.logprobs().length; t++) {
                assertThat(Math.abs(c.logprobs()[t] - lp.get(t).asDouble())).isLessThanOrEqualTo(TOLERANCE);
            }
            model.tokenizer().close();
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
