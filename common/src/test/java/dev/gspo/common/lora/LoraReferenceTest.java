package dev.gspo.common.lora;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.model.Autograd;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.TestModels;
import dev.gspo.common.scoring.ResponseLogprobs;
import dev.gspo.common.scoring.TeacherForcedScorer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LoRA against an independent float64 implementation ({@code scripts/reference/make_lora_reference.py}): the base
 * models of {@code reference/model/}, adapters with a non-zero B in PEFT's layout, log-probs of every sequence (one
 * right-padded batch, two temperatures) and the gradients of Σ c·log-prob with respect to every A and B.
 */
class LoraReferenceTest {
    /**
     * Bound on |Δ log-prob|, and on |Δ gradient entry| / max |gradient entry| (gradients have no scale of their own:
     * here up to 68; float32 PyTorch on the same math lands 1.0–3.6e-6 of it from the float64 reference, which is the
     * floor a float32 implementation can reach, see the script's summary).
     */
    private static final double TOLERANCE = 1e-5;

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-gqa-r4", "qwen2-gqa-r2-qv", "qwen3-untied-r8", "qwen3moe-top2-r4"})
    void logprobsAndAdapterGradientsMatchTheReference(String name) throws IOException {
        Path dir = TestModels.resource("reference/lora/" + name);
        JsonNode expected = JSON.readTree(dir.resolve("expected.json").toFile());
        Path base =
                TestModels.resource("reference/model/" + expected.get("model").asText());
        try (NDManager manager = NDManager.newBaseManager()) {
            PolicyModel loaded = PolicyModel.load(base, manager);
            // as after a full-weight warm start: the adapters must still leave these without gradient
            loaded.weights().parameters().forEach(p -> p.setRequiresGradient(true));
            try (PolicyModel model = loaded.withLora(PeftAdapter.read(dir, loaded.config(), manager))) {
                Batch batch = Batch.of(expected.get("sequences"));
                Autograd.offForThisThread();
                double worstLogprob = 0;
                double worstGrad = 0;
                try (NDScope ignored = new NDScope();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    model.trainableParameters().values().forEach(p -> p.setRequiresGradient(true));
                    ResponseLogprobs lp = TeacherForcedScorer.score(
                            model.transformer(), manager, batch.prompts, batch.responses, batch.temps);
                    float[] got = lp.logprobs().toFloatArray();
                    for (int r = 0; r < batch.want.size(); r++) {
                        double[] want = batch.want.get(r);
                        for (int j = 0; j < want.length; j++) {
                            worstLogprob = Math.max(worstLogprob, Math.abs(got[r * batch.width + j] - want[j]));
                        }
                    }
                    NDArray weights = manager.create(batch.lossWeights, new Shape(batch.want.size(), batch.width));
                    gc.backward(lp.logprobs().mul(weights).sum());
                }
                JsonNode grads = expected.get("grads");
                Map<String, NDArray> params = model.trainableParameters();
                assertThat(params.keySet()).containsExactlyInAnyOrderElementsOf(() -> grads.fieldNames());
                double largest = 0;
                for (JsonNode g : grads) {
                    for (JsonNode v : g.get("values")) {
                        largest = Math.max(largest, Math.abs(v.asDouble()));
                    }
                }
                for (var e : params.entrySet()) {
                    JsonNode g = grads.get(e.getKey());
                    assertThat(e.getValue().getShape()).isEqualTo(new Shape(longs(g.get("shape"))));
                    float[] got = e.getValue().getGradient().toFloatArray();
                    JsonNode want = g.get("values");
                    for (int i = 0; i < got.length; i++) {
                        double w = want.get(i).asDouble();
                        worstGrad = Math.max(worstGrad, Math.abs(got[i] - w) / largest);
                    }
                }
                System.out.printf(
                        "lora reference %-18s max |Δ log-prob| = %.3g, max |Δ grad| / max |grad| = %.3g%n",
                        name, worstLogprob, worstGrad);
                assertThat(worstLogprob).as("log-probs").isLessThanOrEqualTo(TOLERANCE);
                assertThat(worstGrad).as("gradients of A and B").isLessThanOrEqualTo(TOLERANCE);
                for (var w : model.weights().byName().entrySet()) {
                    assertThat(w.getValue().hasGradient())
                            .as("frozen base weight %s", w.getKey())
                            .isFalse();
                }
                model.tokenizer().close();
            }
        }
    }

    /** The sequences of a case as one right-padded batch. */
    private record Batch(
            List<int[]> prompts,
            List<int[]> responses,
            float[] temps,
            List<double[]> want,
            float[] lossWeights,
            int width) {
        static Batch of(JsonNode sequences) {
            List<int[]> prompts = new ArrayList<>();
            List<int[]> responses = new ArrayList<>();
            List<double[]> want = new ArrayList<>();
            float[] temps = new float[sequences.size()];
            int width = 0;
            for (int r = 0; r < sequences.size(); r++) {
                JsonNode s = sequences.get(r);
                int[] tokens = ints(s.get("tokens"));
                int k = s.get("prompt_length").asInt();
                prompts.add(Arrays.copyOf(tokens, k));
                responses.add(Arrays.copyOfRange(tokens, k, tokens.length));
                temps[r] = (float) s.get("temperature").asDouble();
                want.add(doubles(s.get("logprobs")));
                width = Math.max(width, tokens.length - k);
            }
            float[] lossWeights = new float[sequences.size() * width];
            for (int r = 0; r < sequences.size(); r++) {
                double[] c = doubles(sequences.get(r).get("loss_weights"));
                for (int j = 0; j < c.length; j++) {
                    lossWeights[r * width + j] = (float) c[j];
                }
            }
            return new Batch(prompts, responses, temps, want, lossWeights, width);
        }
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }
}
