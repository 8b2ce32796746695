package dev.gspo.experiments.calibrate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.optimizer.report.ChartStyle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Draws the main job's held-out curves, one per run, into one PNG. Each input is either
 *
 * <ul>
 *   <li>a <b>run directory</b> as the optimizer-service writes it ({@code runs/<run-id>/}: {@code run.json} with the
 *       config's seed and the held-out accuracy after the warm start, {@code metrics.jsonl} with one line per step whose
 *       {@code heldOutAccuracy} is a number on evaluated steps), e.g. the folder a {@code ./gspo train} run leaves, or
 *   <li>a JSON-lines file of {@link CalibrationRun} results ({@code seed}, {@code curve}: held-out accuracy by GSPO
 *       step, step 0 = after the warm start, {@code heldOutAfter}).
 * </ul>
 *
 * <pre>
 *   java -Dloader.main=dev.gspo.experiments.calibrate.MainJobPlot \
 *        -cp experiments/target/experiments-*-exec.jar org.springframework.boot.loader.launch.PropertiesLauncher \
 *        OUT.png docs/main-job/seed-1 docs/main-job/seed-2 docs/main-job/seed-3
 * </pre>
 */
public final class MainJobPlot {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MainJobPlot() {}

    /**
     * One run's held-out curve: accuracy by GSPO step (step 0 = after the warm start); {@code variant} names what the
     * run trained when it was not every weight (e.g. "LoRA r8, lr 0.002"), else it is empty.
     */
    public record Curve(long seed, String variant, NavigableMap<Long, Double> accuracyByStep) {
        public Curve(long seed, NavigableMap<Long, Double> accuracyByStep) {
            this(seed, "", accuracyByStep);
        }

        public String label() {
            return String.format(
                    Locale.ROOT,
                    "seed %d%s: %.1f%% → %.1f%%",
                    seed,
                    variant.isEmpty() ? "" : ", " + variant,
                    100 * start(),
                    100 * end());
        }

        public double start() {
            return accuracyByStep.firstEntry().getValue();
        }

        public double end() {
            return accuracyByStep.lastEntry().getValue();
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || !args[0].endsWith(".png")) {
            System.err.println("usage: MainJobPlot OUT.png (RUN_DIR | RESULTS.jsonl)...");
            System.exit(2);
        }
        List<Curve> curves = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            curves.addAll(read(Path.of(args[i])));
        }
        Path out = Path.of(args[0]);
        draw(curves, out);
        System.out.println("wrote " + out);
    }

    /** The curves in a run directory (one) or a results file (one per line). */
    public static List<Curve> read(Path input) throws IOException {
        if (Files.isDirectory(input)) {
            return List.of(fromRunDirectory(input));
        }
        if (!Files.isRegularFile(input)) {
            throw new IllegalArgumentException(input + " is neither a run directory nor a results file");
        }
        List<Curve> curves = new ArrayList<>();
        for (String line : Files.readAllLines(input)) {
            if (!line.isBlank()) {
                curves.add(fromResultLine(JSON.readTree(line)));
            }
        }
        return curves;
    }

    /** A run directory's curve: step 0 from {@code run.json}, then every evaluated step of {@code metrics.jsonl}. */
    public static Curve fromRunDirectory(Path dir) throws IOException {
        Path runJson = dir.resolve("run.json");
        Path metrics = dir.resolve("metrics.jsonl");
        if (!Files.isRegularFile(runJson) || !Files.isRegularFile(metrics)) {
            throw new IllegalArgumentException(dir + " has no run.json and metrics.jsonl: not a run directory");
        }
        JsonNode run = JSON.readTree(runJson.toFile());
        NavigableMap<Long, Double> curve = new TreeMap<>();
        JsonNode before = run.path("heldOutAccuracyBefore");
        if (before.isNumber()) {
            curve.put(0L, before.asDouble());
        }
        for (String line : Files.readAllLines(metrics)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode step = JSON.readTree(line);
            JsonNode acc = step.path("heldOutAccuracy");
            // evaluated steps carry a number; the others "NaN" (a string: JSON has no NaN)
            if (acc.isNumber() && "gspo".equals(step.path("phase").asText("gspo"))) {
                curve.put(step.path("step").asLong(), acc.asDouble());
            }
        }
        if (curve.isEmpty()) {
            throw new IllegalArgumentException(dir + " has no held-out evaluation");
        }
        JsonNode config = run.path("config");
        JsonNode lora = config.path("lora");
        String variant = lora.path("rank").isNumber()
                ? String.format(
                        Locale.ROOT,
                        "LoRA r%d, lr %s",
                        lora.path("rank").asInt(),
                        config.path("optimizer").path("learningRate").asText())
                : "";
        return new Curve(config.path("seed").asLong(), variant, curve);
    }

    private static Curve fromResultLine(JsonNode run) {
        NavigableMap<Long, Double> curve = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = run.path("curve").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            curve.put(Long.parseLong(e.getKey()), e.getValue().asDouble());
        }
        return new Curve(run.path("seed").asLong(), curve);
    }

    static void draw(List<Curve> curves, Path out) throws IOException {
        JFreeChart chart = chart(curves);
        if (out.toAbsolutePath().getParent() != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
        }
        ChartStyle.savePng(out, chart, 450);
    }

    /** One line per curve, named by {@link Curve#label()}. */
    static JFreeChart chart(List<Curve> curves) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Curve c : curves) {
            XYSeries s = new XYSeries(c.label());
            c.accuracyByStep().forEach(s::add);
            data.addSeries(s);
        }
        ChartStyle.prepare();
        JFreeChart chart = ChartStyle.lines(
                "Held-out greedy accuracy (400 problems) per run", "GSPO step", "accuracy", data, true);
        XYPlot plot = chart.getXYPlot();
        plot.getRangeAxis().setRange(0, 1);
        plot.setRenderer(new XYLineAndShapeRenderer(true, true));
        return chart;
    }
}
