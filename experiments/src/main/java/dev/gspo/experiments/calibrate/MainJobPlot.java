package dev.gspo.experiments.calibrate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.optimizer.report.ChartStyle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Draws the main job's held-out curves, one per seed, from {@link CalibrationRun} result lines (JSON lines with
 * {@code seed} and {@code curve}: held-out greedy accuracy by GSPO step, step 0 = after the warm start).
 *
 * <pre>
 *   java -Dloader.main=dev.gspo.experiments.calibrate.MainJobPlot \
 *        -cp experiments/target/experiments-*-exec.jar org.springframework.boot.loader.launch.PropertiesLauncher \
 *        docs/calibration/main-job-seeds.jsonl docs/calibration/main-job-seeds.png
 * </pre>
 */
public final class MainJobPlot {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MainJobPlot() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: MainJobPlot RESULTS.jsonl OUT.png");
            System.exit(2);
        }
        List<String> lines = Files.readAllLines(Path.of(args[0])).stream()
                .filter(l -> !l.isBlank())
                .toList();
        XYSeriesCollection data = new XYSeriesCollection();
        for (String line : lines) {
            JsonNode run = JSON.readTree(line);
            JsonNode curve = run.path("curve");
            double start = curve.path("0").asDouble(Double.NaN);
            double end = run.path("heldOutAfter").asDouble(Double.NaN);
            XYSeries s = new XYSeries(String.format(
                    java.util.Locale.ROOT,
                    "seed %d: %.1f%% → %.1f%%",
                    run.path("seed").asLong(),
                    100 * start,
                    100 * end));
            for (Iterator<Map.Entry<String, JsonNode>> it = curve.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                s.add(Long.parseLong(e.getKey()), e.getValue().asDouble());
            }
            data.addSeries(s);
        }
        ChartStyle.prepare();
        JFreeChart chart = ChartStyle.lines(
                "Main job: held-out greedy accuracy (400 problems) per seed", "GSPO step", "accuracy", data, true);
        XYPlot plot = chart.getXYPlot();
        plot.getRangeAxis().setRange(0, 1);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        plot.setRenderer(renderer);
        Path out = Path.of(args[1]);
        if (out.toAbsolutePath().getParent() != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
        }
        ChartStyle.savePng(out, chart, 450);
        System.out.println("wrote " + out);
    }
}
