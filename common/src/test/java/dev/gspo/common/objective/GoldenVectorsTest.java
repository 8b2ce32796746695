package dev.gspo.common.objective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.gspo.common.objective.ObjectiveHarness.Inputs;
import dev.gspo.common.objective.ObjectiveHarness.Outcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compares the float32 (and float64) objective with the float64 loop-by-loop reference of
 * {@code scripts/reference/make_gspo_reference.py} (golden files in
 * {@code src/test/resources/reference/gspo}). Masked positions of the inputs hold NaN, −inf and
 * ±1e4 garbage.
 */
class GoldenVectorsTest {

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // NaN, -Infinity at masked positions
            .build();
    private static final double LOSS_TOLERANCE = 1e-5;
    private static final double GRAD_TOLERANCE = 1e-5;
    /** float64: 4–5 orders tighter than float32's, so a silent float32 step in between fails it. */
    private static final double FLOAT64_TOLERANCE = 1e-10;

    private static final double FLOAT64_LOSS_TOLERANCE = 1e-9;

    static Stream<String> cases() throws IOException, URISyntaxException {
        Path dir =
                Path.of(GoldenVectorsTest.class.getResource("/reference/gspo").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files
                    .map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".json"))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    @Test
    void goldenFilesCoverAllThreeModesAndTheKlPenalty() throws Exception {
        List<JsonNode> all = cases().map(GoldenVectorsTest::read).toList();
        assertThat(all).extracting(c -> c.get("mode").asText()).contains("gspo", "gspo-token", "grpo");
        assertThat(all).anyMatch(c -> c.get("klBeta").asDouble() > 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void lossMatchesReference(String file) {
        JsonNode c = read(file);
        Outcome out = ObjectiveHarness.run(config(c), inputs(c));
        assertThat(out.loss()).isCloseTo(c.at("/expected/loss").asDouble(), within(LOSS_TOLERANCE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientWrtNewLogprobsMatchesReference(String file) {
        JsonNode c = read(file);
        Outcome out = ObjectiveHarness.run(config(c), inputs(c));
        float[][] expected = matrix(c.at("/expected/grad"));
        for (int i = 0; i < expected.length; i++) {
            for (int t = 0; t < expected[i].length; t++) {
                assertThat((double) out.grad()[i][t])
                        .as("%s grad[%d][%d]", file, i, t)
                        .isCloseTo(expected[i][t], within(GRAD_TOLERANCE * Math.max(1, Math.abs(expected[i][t]))));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void diagnosticsMatchReference(String file) {
        JsonNode c = read(file);
        JsonNode e = c.at("/expected/diagnostics");
        LossDiagnostics d = ObjectiveHarness.run(config(c), inputs(c)).diagnostics();

        assertThat(d.loss()).isCloseTo(e.get("loss").asDouble(), within(LOSS_TOLERANCE));
        assertClip(d.clipSequence(), e.get("clipSequence"));
        assertClip(d.clipToken(), e.get("clipToken"));
        assertThat(d.ratio().mean()).isCloseTo(e.at("/ratio/mean").asDouble(), within(1e-5));
        assertThat(d.ratio().min()).isCloseTo(e.at("/ratio/min").asDouble(), within(1e-5));
        assertThat(d.ratio().max()).isCloseTo(e.at("/ratio/max").asDouble(), within(1e-5));
        assertThat(d.approxKl()).isCloseTo(e.get("approxKl").asDouble(), within(1e-6));
        if (e.get("klToRef").isNull()) {
            assertThat(d.klToRef()).isNaN();
        } else {
            assertThat(d.klToRef()).isCloseTo(e.get("klToRef").asDouble(), within(1e-5));
        }
        assertThat(d.meanResponseLength()).isEqualTo(e.get("meanResponseLength").asDouble());
        assertThat(d.sequences()).isEqualTo(e.get("sequences").asInt());
        assertThat(d.tokens()).isEqualTo(e.get("tokens").asLong());
        assertThat(d.entropy()).isNaN();
    }

    /**
     * The objective in float64: the reference computes in float64 from the same float32-rounded
     * inputs, so the only difference left is summation order.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void float64LossGradientAndDiagnosticsMatchReference(String file) {
        JsonNode c = read(file);
        ObjectiveHarness.Outcome64 out = ObjectiveHarness.runFloat64(config(c), inputs(c));

        assertThat(out.loss()).isCloseTo(c.at("/expected/loss").asDouble(), within(FLOAT64_LOSS_TOLERANCE));
        JsonNode expected = c.at("/expected/grad");
        for (int i = 0; i < expected.size(); i++) {
            for (int t = 0; t < expected.get(i).size(); t++) {
                double e = expected.get(i).get(t).asDouble();
                assertThat(out.grad()[i][t])
                        .as("%s grad[%d][%d]", file, i, t)
                        .isCloseTo(e, within(FLOAT64_TOLERANCE * Math.max(1, Math.abs(e))));
            }
        }
        JsonNode d = c.at("/expected/diagnostics");
        assertClip(out.diagnostics().clipSequence(), d.get("clipSequence"));
        assertClip(out.diagnostics().clipToken(), d.get("clipToken"));
        // diagnostics are read back through float32 host copies whatever the working dtype
        assertThat(out.diagnostics().ratio().mean())
                .isCloseTo(d.at("/ratio/mean").asDouble(), within(1e-6));
        assertThat(out.diagnostics().approxKl()).isCloseTo(d.get("approxKl").asDouble(), within(1e-6));
    }

    private static void assertClip(ClipFraction actual, JsonNode expected) {
        assertThat(actual.low()).isCloseTo(expected.get("low").asDouble(), within(1e-12));
        assertThat(actual.high()).isCloseTo(expected.get("high").asDouble(), within(1e-12));
        assertThat(actual.total()).isCloseTo(expected.get("total").asDouble(), within(1e-12));
    }

    private static ObjectiveConfig config(JsonNode c) {
        return new ObjectiveConfig(
                LossMode.fromName(c.get("mode").asText()),
                new ClipRange(c.get("clipLow").asDouble(), c.get("clipHigh").asDouble()),
                c.get("klBeta").asDouble(),
                c.get("logRatioClamp").asDouble());
    }

    private static Inputs inputs(JsonNode c) {
        float[][] newLp = matrix(c.get("newLogprobs"));
        float[][] oldLp = matrix(c.get("oldLogprobs"));
        float[][] mask = matrix(c.get("mask"));
        JsonNode adv = c.get("advantages");
        Inputs in = adv.get(0).isArray()
                ? Inputs.ofTokenAdvantages(newLp, oldLp, mask, matrix(adv))
                : Inputs.of(newLp, oldLp, mask, vector(adv));
        return c.get("refLogprobs").isNull() ? in : in.withRef(matrix(c.get("refLogprobs")));
    }

    static JsonNode read(String file) {
        try (var in = GoldenVectorsTest.class.getResourceAsStream("/reference/gspo/" + file)) {
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] vector(JsonNode n) {
        float[] v = new float[n.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) n.get(i).asDouble();
        }
        return v;
    }

    static float[][] matrix(JsonNode n) {
        float[][] m = new float[n.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = vector(n.get(i));
        }
        return m;
    }
}
