package dev.gspo.common.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.model.Scalars;
import dev.gspo.common.model.TestModels;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Checked against torch.optim.AdamW (scripts/reference/make_adamw_reference.py). */
class AdamWTest {
    private static final JsonNode REF = read();

    @Test
    void matchesTorchAdamWStepByStep() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = initialParams(manager);
            AdamW.Hyper hyper = new AdamW.Hyper(
                    REF.get("beta1").asDouble(),
                    REF.get("beta2").asDouble(),
                    REF.get("eps").asDouble(),
                    REF.get("weight_decay").asDouble());
            try (AdamW adam = new AdamW(params, hyper, manager)) {
                runSteps(params, adam, 0, REF.get("steps").asInt());
                assertMatches(params.get("w"), REF.get("final").get("w"), 1e-6);
                assertMatches(params.get("b"), REF.get("final").get("b"), 1e-6);
                Map<String, Safetensors.Tensor> state =
                        adam.stateTensors().stream().collect(Collectors.toMap(Safetensors.Tensor::name, t -> t));
                assertMatches(state.get("exp_avg.w").data(), REF.get("exp_avg").get("w"), 1e-6);
                assertMatches(
                        state.get("exp_avg_sq.b").data(), REF.get("exp_avg_sq").get("b"), 1e-6);
            }
        }
    }

    @Test
    void restoredStateContinuesExactlyAsIfNeverInterrupted() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdamW.Hyper hyper = new AdamW.Hyper(0.9, 0.999, 1e-8, 0.1);
            Map<String, NDArray> straight = initialParams(manager);
            try (AdamW a = new AdamW(straight, hyper, manager)) {
                runSteps(straight, a, 0, 4);
            }
            Map<String, NDArray> resumed = initialParams(manager);
            List<Safetensors.Tensor> saved;
            long step;
            try (AdamW a = new AdamW(resumed, hyper, manager)) {
                runSteps(resumed, a, 0, 2);
                saved = a.stateTensors();
                step = a.step();
            }
            Map<String, Safetensors.Tensor> byName =
                    saved.stream().collect(Collectors.toMap(Safetensors.Tensor::name, t -> t));
            try (AdamW b = AdamW.restore(resumed, hyper, byName, step, manager)) {
                runSteps(resumed, b, 2, 4);
            }
            assertThat(resumed.get("w").toFloatArray())
                    .containsExactly(straight.get("w").toFloatArray());
            assertThat(resumed.get("b").toFloatArray())
                    .containsExactly(straight.get("b").toFloatArray());
        }
    }

    @Test
    void globalNormClippingScalesAllGradientsTogetherAndZeroClearsNaN() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.create(new float[] {3, 0});
            NDArray b = manager.create(new float[] {4});
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                // loss = 3·a0 + 4·b0  ⇒  g = (3, 0 | 4), ‖g‖ = 5
                gc.backward(Scalars.mul(a.get(0), 3).add(Scalars.mul(b.get(0), 4)));
            }
            double norm = Gradients.clipGlobalNorm(List.of(a, b), 1.0);
            assertThat(norm).isCloseTo(5.0, within(1e-6));
            assertThat(a.getGradient().toFloatArray()).containsExactly(new float[] {0.6f, 0}, within(1e-6f));
            assertThat(b.getGradient().toFloatArray()).containsExactly(new float[] {0.8f}, within(1e-6f));
            a.getGradient().set(new float[] {Float.NaN, 1});
            assertThat(Gradients.globalNorm(List.of(a, b))).isNaN();
            Gradients.zero(List.of(a, b));
            assertThat(a.getGradient().toFloatArray()).containsExactly(0, 0);
            assertThat(b.getGradient().toFloatArray()).containsExactly(0);
        }
    }

    private static void runSteps(Map<String, NDArray> params, AdamW adam, int from, int to) {
        for (int s = from; s < to; s++) {
            JsonNode g = REF.get("grads").get(s);
            NDManager m = params.get("w").getManager();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                // loss = Σ w·g_w + Σ b·g_b has exactly the reference gradients
                NDArray loss = params.get("w")
                        .mul(m.create(floats(g.get("w")), new Shape(3, 4)))
                        .sum()
                        .add(params.get("b").mul(m.create(floats(g.get("b")))).sum());
                gc.backward(loss);
            }
            adam.update(params, REF.get("lr").asDouble());
            Gradients.zero(params.values());
        }
    }

    private static Map<String, NDArray> initialParams(NDManager manager) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put("w", manager.create(floats(REF.get("initial").get("w")), new Shape(3, 4)));
        params.put("b", manager.create(floats(REF.get("initial").get("b")), new Shape(4)));
        params.values().forEach(p -> p.setRequiresGradient(true));
        return params;
    }

    private static void assertMatches(NDArray actual, JsonNode expected, double tol) {
        assertMatches(actual.toFloatArray(), expected, tol);
    }

    private static void assertMatches(float[] actual, JsonNode expected, double tol) {
        assertThat(actual).hasSize(expected.size());
        for (int i = 0; i < actual.length; i++) {
            assertThat((double) actual[i])
                    .as("element %d", i)
                    .isCloseTo(expected.get(i).asDouble(), within(tol));
        }
    }

    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) a.get(i).asDouble();
        }
        return out;
    }

    private static JsonNode read() {
        try {
            return new ObjectMapper()
                    .readTree(TestModels.resource("reference/adamw/adamw.json").toFile());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
