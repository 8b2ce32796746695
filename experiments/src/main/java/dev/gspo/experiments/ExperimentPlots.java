package dev.gspo.experiments;

import dev.gspo.common.objective.LossMode;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.report.ChartStyle;
import dev.gspo.optimizer.report.ReportWriter;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Paint;
import java.awt.Stroke;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The experiment's PNG plots, drawn with JFreeChart in the project's {@link ChartStyle}, one set per clip setting:
 *
 * <ul>
 *   <li>{@code reward-<setting>.png}: trailing w-step mean training reward r̄_k(w) vs step, per arm: the mean over
 *       seeds, with a band of ± one std over seeds; the dotted line is the threshold τ;</li>
 *   <li>{@code heldout-<setting>.png}: greedy held-out accuracy vs step, same layout;</li>
 *   <li>{@code clip-<setting>.png}: clip fraction vs step on a log axis, per arm, mean over seeds, per token (solid)
 *       and per sequence (dashed); steps with no clipping are left out (log 0);</li>
 * </ul>
 * plus {@code sweep.png} (late reward vs ε_low, per swept mode) and {@code warm-start-loss.png}.
 */
public final class ExperimentPlots {
    private static final Map<LossMode, Color> COLORS = Map.of(
            LossMode.GSPO,
            new Color(0x1f77b4),
            LossMode.GSPO_TOKEN,
            new Color(0x2ca02c),
            LossMode.GRPO,
            new Color(0xd62728));
    private static final Stroke SOLID = new BasicStroke(2f);
    private static final Stroke DASHED =
            new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);

    private ExperimentPlots() {}

    /** Writes every plot into {@code dir}; returns the file names, in the order the report shows them. */
    public static List<String> write(ExperimentResult result, Path dir) {
        ChartStyle.prepare();
        List<String> files = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            for (String setting : Experiment.SETTINGS) {
                List<Arm> arms = result.armsOf(setting);
                String what = setting + " clip ranges";
                save(dir, "reward-" + setting + ".png", rewardChart(result, arms, what), files);
                save(dir, "heldout-" + setting + ".png", heldOutChart(result, arms, what), files);
                save(dir, "clip-" + setting + ".png", clipChart(result, arms, what), files);
            }
            if (!result.sweep().candidates().isEmpty()) {
                save(dir, "sweep.png", sweepChart(result), files);
            }
            if (result.warmStarts().size() > 1) {
                save(dir, "warm-start-loss.png", warmStartsChart(result), files);
            } else if (!result.warmStart().loss().isEmpty()) {
                save(
                        dir,
                        "warm-start-loss.png",
                        ReportWriter.warmStartLossChart(
                                "Shared supervised warm start",
                                result.warmStart().loss()),
                        files);
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the plots to " + dir, e);
        }
    }

    /**
     * The MoE experiment's plots: {@code moe-lr-sweep.png} (held-out accuracy vs step of each calibration run), then
     * per regime ({@code moe-} calibrated, {@code moe-harsh-} harsher) {@code reward}, {@code heldout}, {@code clip}
     * as above over its three arms and {@code experts}: the share of (token, layer) expert sets that changed between
     * π_old and π_θ, per step, mean ± std over seeds.
     */
    public static List<String> writeMoe(ExperimentResult result, Path dir) {
        ChartStyle.prepare();
        List<String> files = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            if (!result.lrSweep().empty()) {
                save(dir, "moe-lr-sweep.png", lrSweepChart(result), files);
            }
            for (MoeExperiment.Regime regime : MoeReport.regimes(result)) {
                List<Arm> arms = MoeReport.armsOf(result, regime);
                String prefix = regime == MoeExperiment.Regime.HARSH ? "moe-harsh-" : "moe-";
                String what = String.format(
                        Locale.ROOT,
                        "qwen3_moe, lr %s, %d minibatches",
                        Arm.plain(MoeReport.lrOf(result, regime)),
                        MoeReport.miniBatchesOf(result, regime));
                save(dir, prefix + "reward.png", rewardChart(result, arms, what), files);
                save(dir, prefix + "heldout.png", heldOutChart(result, arms, what), files);
                save(dir, prefix + "clip.png", clipChart(result, arms, what), files);
                save(dir, prefix + "experts.png", expertChart(result, arms, what), files);
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the plots to " + dir, e);
        }
    }

    /** Held-out greedy accuracy vs step of each calibration run (one seed, one line per learning rate). */
    private static JFreeChart lrSweepChart(ExperimentResult result) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (LrSweep.Candidate c : result.lrSweep().candidates()) {
            XYSeries s = new XYSeries(String.format(
                    Locale.ROOT,
                    "lr %s (%+.1f points)%s",
                    Arm.plain(c.learningRate()),
                    100 * c.gain(),
                    c.chosen() ? ", lr*" : ""));
            RunMeasures.heldOutCurve(c.run()).forEach(p -> s.add(p[0], p[1]));
            data.addSeries(s);
        }
        long seed = result.lrSweep().candidates().getFirst().run().seed();
        JFreeChart chart = ChartStyle.lines(
                "Learning-rate calibration: held-out greedy accuracy, GSPO, seed " + seed,
                "step",
                "accuracy",
                data,
                true);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        chart.getXYPlot().setRenderer(renderer);
        ((NumberAxis) chart.getXYPlot().getRangeAxis()).setAutoRangeIncludesZero(false);
        return chart;
    }

    private static JFreeChart expertChart(ExperimentResult result, List<Arm> arms, String what) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        for (Arm arm : arms) {
            List<RunResult> runs = result.runsOf(arm);
            YIntervalSeries s = new YIntervalSeries(arm.legend());
            int steps = runs.stream().mapToInt(r -> r.steps().size()).min().orElse(0);
            for (int k = 0; k < steps; k++) {
                int at = k;
                band(
                        s,
                        k + 1,
                        Stat.of(runs.stream()
                                .mapToDouble(r -> r.steps().get(at).expertChangeShare())
                                .toArray()));
            }
            data.addSeries(s);
        }
        JFreeChart chart = ChartStyle.lines(
                "Expert sets changed between π_old and π_θ (after the first update), " + what,
                "step",
                "share of (token, layer) pairs (mean ± std)",
                data,
                true);
        chart.getXYPlot().setRenderer(bands(arms));
        return chart;
    }

    private static void save(Path dir, String name, JFreeChart chart, List<String> files) throws IOException {
        ChartStyle.savePng(dir.resolve(name), chart, 500);
        files.add(name);
    }

    private static JFreeChart rewardChart(ExperimentResult result, List<Arm> arms, String what) {
        int w = result.config().window();
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        for (Arm arm : arms) {
            List<RunResult> runs = result.runsOf(arm);
            YIntervalSeries s = new YIntervalSeries(arm.legend());
            int steps = runs.stream().mapToInt(r -> r.steps().size()).min().orElse(0);
            for (int k = 1; k <= steps; k++) {
                int at = k;
                band(
                        s,
                        k,
                        Stat.of(runs.stream()
                                .mapToDouble(r -> RunMeasures.trailingMean(r.steps(), at, w))
                                .toArray()));
            }
            data.addSeries(s);
        }
        JFreeChart chart = ChartStyle.lines(
                String.format(Locale.ROOT, "Training reward (%d-step trailing mean), %s", w, what),
                "step",
                "reward (mean ± std over seeds)",
                data,
                true);
        XYPlot plot = chart.getXYPlot();
        plot.setRenderer(bands(arms));
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        ValueMarker tau = new ValueMarker(result.threshold(), Color.GRAY, DASHED);
        tau.setLabel(String.format(Locale.ROOT, "τ = %.3f", result.threshold()));
        plot.addRangeMarker(tau);
        return chart;
    }

    private static JFreeChart heldOutChart(ExperimentResult result, List<Arm> arms, String what) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        for (Arm arm : arms) {
            YIntervalSeries s = new YIntervalSeries(arm.legend());
            Map<Double, List<Double>> byStep = new LinkedHashMap<>();
            for (RunResult r : result.runsOf(arm)) {
                for (double[] p : RunMeasures.heldOutCurve(r)) {
                    byStep.computeIfAbsent(p[0], k -> new ArrayList<>()).add(p[1]);
                }
            }
            byStep.forEach((step, values) ->
                    band(s, step, Stat.of(values.stream().mapToDouble(x -> x).toArray())));
            data.addSeries(s);
        }
        JFreeChart chart = ChartStyle.lines(
                "Held-out greedy accuracy, " + what, "step", "accuracy (mean ± std over seeds)", data, true);
        DeviationRenderer renderer = bands(arms);
        renderer.setDefaultShapesVisible(true);
        chart.getXYPlot().setRenderer(renderer);
        ((NumberAxis) chart.getXYPlot().getRangeAxis()).setAutoRangeIncludesZero(false);
        return chart;
    }

    private static JFreeChart clipChart(ExperimentResult result, List<Arm> arms, String what) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        int i = 0;
        for (Arm arm : arms) {
            List<RunResult> runs = result.runsOf(arm);
            data.addSeries(meanPositive(arm.legend() + " per token", runs, StepMetrics::clipTokTotal));
            data.addSeries(meanPositive(
                    arm.mode().wireName() + (arm.routingReplay() ? " + replay" : "") + " per sequence",
                    runs,
                    StepMetrics::clipSeqTotal));
            for (Stroke stroke : List.of(SOLID, DASHED)) {
                renderer.setSeriesPaint(i, color(arm));
                renderer.setSeriesStroke(i, stroke);
                i++;
            }
        }
        JFreeChart chart = ChartStyle.lines(
                "Clip fraction, " + what + " (mean over seeds)", "step", "clip fraction (log scale)", data, true);
        XYPlot plot = chart.getXYPlot();
        plot.setRangeAxis(ChartStyle.decades("clip fraction (log scale)"));
        plot.setRenderer(renderer);
        return chart;
    }

    /** The supervised loss of each seed's warm start (each ends where its stop rule stopped it). */
    private static JFreeChart warmStartsChart(ExperimentResult result) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (WarmStart.Result w : result.warmStarts()) {
            XYSeries s = new XYSeries("seed " + w.seed() + " (" + w.steps() + " steps)");
            for (int i = 0; i < w.loss().size(); i++) {
                s.add(i + 1, w.loss().get(i));
            }
            data.addSeries(s);
        }
        return ChartStyle.lines("Supervised warm start of each seed", "warm-start step", "loss", data, true);
    }

    private static JFreeChart sweepChart(ExperimentResult result) {
        XYSeriesCollection data = new XYSeriesCollection();
        Map<LossMode, XYSeries> byMode = new LinkedHashMap<>();
        for (Sweep.Candidate c : result.sweep().candidates()) {
            LossMode mode = c.run().arm().mode();
            byMode.computeIfAbsent(
                            mode,
                            m -> new XYSeries(m.wireName() + " (seed " + c.run().seed() + ")"))
                    .add(c.run().arm().clip().low(), c.score());
        }
        byMode.values().forEach(data::addSeries);
        JFreeChart chart = ChartStyle.lines(
                "Clip-range sweep: training reward over the second half",
                "ε_low (ε_high scaled as in the paper), log scale",
                "late reward",
                data,
                true);
        XYPlot plot = chart.getXYPlot();
        plot.setDomainAxis(ChartStyle.decades("ε_low (ε_high scaled as in the paper), log scale"));
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        int i = 0;
        for (LossMode mode : byMode.keySet()) {
            renderer.setSeriesPaint(i, COLORS.get(mode));
            renderer.setSeriesStroke(i++, SOLID);
        }
        plot.setRenderer(renderer);
        return chart;
    }

    /** Mean over runs of a per-step value, at the steps where that mean is positive (a log axis cannot show 0). */
    private static XYSeries meanPositive(String name, List<RunResult> runs, ToDoubleFunction<StepMetrics> f) {
        XYSeries s = new XYSeries(name);
        int steps = runs.stream().mapToInt(r -> r.steps().size()).min().orElse(0);
        for (int k = 0; k < steps; k++) {
            int at = k;
            double mean = runs.stream()
                    .mapToDouble(r -> f.applyAsDouble(r.steps().get(at)))
                    .average()
                    .orElse(Double.NaN);
            if (Double.isFinite(mean) && mean > 0) {
                s.add(k + 1, mean);
            }
        }
        return s;
    }

    /** Adds (x, mean) with the band mean ± std; a single seed has no band. */
    private static void band(YIntervalSeries s, double x, Stat stat) {
        if (stat.n() == 0) {
            return;
        }
        double spread = Double.isFinite(stat.std()) ? stat.std() : 0;
        s.add(x, stat.mean(), stat.mean() - spread, stat.mean() + spread);
    }

    private static DeviationRenderer bands(List<Arm> arms) {
        DeviationRenderer renderer = new DeviationRenderer(true, false);
        renderer.setAlpha(0.15f);
        for (int i = 0; i < arms.size(); i++) {
            Paint color = color(arms.get(i));
            renderer.setSeriesPaint(i, color);
            renderer.setSeriesFillPaint(i, color);
            renderer.setSeriesStroke(i, arms.get(i).mode() == LossMode.GSPO_TOKEN ? DASHED : SOLID);
        }
        return renderer;
    }

    /** The mode's colour; orange for a routing-replay arm (so GRPO with and without replay differ). */
    private static Color color(Arm arm) {
        return arm.routingReplay() ? new Color(0xff7f0e) : COLORS.get(arm.mode());
    }
}
