package dev.gspo.optimizer.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.gspo.common.reward.RewardSpec;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.loop.WarmStartProgress;
import dev.gspo.optimizer.runconfig.RunConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Writes a run's report folder: {@code report.md} (config, accuracy before/after, a table of metrics per step) and PNG
 * plots drawn with JFreeChart in the project's {@link ChartStyle}: {@code reward.png} (reward, sampled accuracy and held-out greedy accuracy vs step) and
 * {@code clip-fraction.png} (sequence- and token-level clip fraction vs step).
 */
public final class ReportWriter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What the report is about. */
    public record RunSummary(
            String runId,
            String state,
            RunConfig config,
            List<StepMetrics> steps,
            List<Double> supervisedLoss,
            double heldOutBefore,
            double heldOutAfter,
            double wallSeconds,
            WarmStartProgress warmStart) {

        /** A run without a warm-start record (none, or resumed). */
        public RunSummary(
                String runId,
                String state,
                RunConfig config,
                List<StepMetrics> steps,
                List<Double> supervisedLoss,
                double heldOutBefore,
                double heldOutAfter,
                double wallSeconds) {
            this(runId, state, config, steps, supervisedLoss, heldOutBefore, heldOutAfter, wallSeconds, null);
        }
    }

    private ReportWriter() {}

    public static Path write(Path dir, RunSummary run) {
        try {
            Files.createDirectories(dir);
            ChartStyle.prepare();
            ChartStyle.savePng(dir.resolve("reward.png"), rewardChart(run), 500);
            ChartStyle.savePng(dir.resolve("clip-fraction.png"), clipChart(run), 500);
            if (!run.supervisedLoss().isEmpty()) {
                ChartStyle.savePng(
                        dir.resolve("warm-start-loss.png"),
                        warmStartLossChart("Supervised warm start", run.supervisedLoss()),
                        400);
            }
            Files.writeString(dir.resolve("report.md"), markdown(run));
            return dir.resolve("report.md");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + dir, e);
        }
    }

    /** With dynamic sampling: the share of groups dropped and the extra rollouts spent, over the run. */
    private static void dynamicSampling(StringBuilder md, RunSummary run) {
        if (!run.config().sampling().dynamicSampling() || run.steps().isEmpty()) {
            return;
        }
        long extra = run.steps().stream().mapToLong(StepMetrics::extraRollouts).sum();
        long planned = (long) run.steps().size()
                * run.config().sampling().promptsPerStep()
                * run.config().sampling().groupSize();
        md.append(String.format(
                Locale.ROOT,
                "Dynamic sampling (at most %d extra prompts a step): %.1f%% of the drawn groups on average were dropped "
                        + "(all rewards equal); %d extra rollouts were spent, %.1f%% over the %d of promptsPerStep × "
                        + "groupSize.%n%n",
                run.config().sampling().maxOverSample(),
                100
                        * run.steps().stream()
                                .mapToDouble(StepMetrics::droppedGroupShare)
                                .average()
                                .orElse(0),
                extra,
                100.0 * extra / Math.max(1, planned),
                planned));
    }

    /** With pipelined steps: the staleness bound, the staleness the steps had, and the TIS cap if any. */
    private static void pipelined(StringBuilder md, RunSummary run) {
        int bound = run.config().sampling().maxStaleness();
        if (bound == 0 || run.steps().isEmpty()) {
            return;
        }
        md.append(String.format(
                Locale.ROOT,
                "Pipelined steps (sampling.maxStaleness %d): each step trained on samples %.2f policy versions old on "
                        + "average, at most %d (column `stale`); π_old = %s%s.%n%n",
                bound,
                run.steps().stream().mapToLong(StepMetrics::stale).average().orElse(0),
                run.steps().stream().mapToLong(StepMetrics::stale).max().orElse(0),
                run.config().objective().oldLogprobs().wireName(),
                run.config().objective().tisCap() == null
                        ? ""
                        : ", truncated importance sampling capped at "
                                + run.config().objective().tisCap()));
    }

    static String markdown(RunSummary run) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append("# GSPO run ").append(run.runId()).append("\n\n");
        md.append("State: **")
                .append(run.state())
                .append("** after ")
                .append(run.steps().size())
                .append(" GSPO steps");
        md.append(String.format(Locale.ROOT, " (wall time %.0f s).%n%n", run.wallSeconds()));
        md.append("| | held-out greedy accuracy |\n|---|---|\n");
        md.append(
                String.format(Locale.ROOT, "| after the warm start (before GSPO) | %s |%n", pct(run.heldOutBefore())));
        md.append(String.format(Locale.ROOT, "| after GSPO | %s |%n%n", pct(run.heldOutAfter())));
        if (run.warmStart() != null) {
            md.append(run.warmStart().describe()).append("\n\n");
        }
        dynamicSampling(md, run);
        pipelined(md, run);
        md.append("![reward and accuracy](reward.png)\n\n![clip fraction](clip-fraction.png)\n\n");
        if (!run.supervisedLoss().isEmpty()) {
            md.append("![warm-start loss](warm-start-loss.png)\n\n");
        }
        double[] changed = run.steps().stream()
                .mapToDouble(StepMetrics::expertChangeShare)
                .filter(Double::isFinite)
                .toArray();
        if (changed.length > 0) {
            md.append(String.format(
                    Locale.ROOT,
                    "MoE routing (routing replay %s): after each step's first update, "
                            + "%.2f%% of (token, layer) expert sets on average differed from π_old's (first step %.2f%%, "
                            + "last %.2f%%).%n%n",
                    run.config().objective().routingReplay() ? "on" : "off",
                    100 * java.util.Arrays.stream(changed).average().orElse(Double.NaN),
                    100 * changed[0],
                    100 * changed[changed.length - 1]));
        }
        rewardFunctions(md, run);
        md.append("## Config\n\n```json\n")
                .append(JSON.writeValueAsString(run.config()))
                .append("\n```\n\n");
        md.append("## Metrics per step\n\n");
        md.append(
                "Clip fractions: share of samples whose clipped branch is active, per sequence and per token (docs/ALGORITHM.md §10). ");
        md.append("Held-out accuracy is greedy, on the task's held-out set, every `eval.every` steps.\n\n");
        md.append(
                "| step | version | stale | reward | reward std | accuracy | held-out | loss | clip seq | clip tok | ratio min | ratio max | KL | entropy | grad norm | mismatch max | rollout s | train s | publish s | step s |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (StepMetrics m : run.steps()) {
            md.append(String.format(
                    Locale.ROOT,
                    "| %d | %d | %d | %.3f | %.3f | %.3f | %s | %.4f | %.4f | %.4f | %.5f | %.5f | %.2e | %.3f | %.3f | %.1e | %.2f | %.2f | %.2f | %.2f |%n",
                    m.step(),
                    m.policyVersion(),
                    m.stale(),
                    m.rewardMean(),
                    m.rewardStd(),
                    m.accuracy(),
                    Double.isFinite(m.heldOutAccuracy()) ? String.format(Locale.ROOT, "%.3f", m.heldOutAccuracy()) : "",
                    m.loss(),
                    m.clipSeqTotal(),
                    m.clipTokTotal(),
                    m.ratioMin(),
                    m.ratioMax(),
                    m.kl(),
                    m.entropy(),
                    m.gradNorm(),
                    m.mismatchMax(),
                    m.rolloutSeconds(),
                    m.trainSeconds(),
                    m.publishSeconds(),
                    m.stepSeconds()));
        }
        return md.toString();
    }

    /**
     * Each reward function's own mean score (unweighted) at the first and last step and over the run, with its weight,
     * then per step when the run combines several (with one, it is the reward column of the metrics table).
     */
    private static void rewardFunctions(StringBuilder md, RunSummary run) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        run.steps().forEach(m -> names.addAll(m.rewards().keySet()));
        if (names.isEmpty()) {
            return;
        }
        Map<String, RewardSpec> specs = new HashMap<>();
        if (run.config().rewards() != null) {
            run.config().rewards().forEach(r -> specs.put(r.name(), r));
        }
        md.append("## Reward functions\n\n");
        md.append("A sample's reward is the weighted sum of the run's functions (`rewards`); the values here are each ")
                .append("function's own mean score, unweighted (`gspo.train.reward{fn=…}`); `name.component` is a ")
                .append("component its reward server reported.\n\n");
        md.append(
                "| function | fn | weight | first step | last step | mean over the run |\n|---|---|---|---|---|---|\n");
        for (String name : names) {
            RewardSpec spec = specs.get(name);
            double[] values = run.steps().stream()
                    .mapToDouble(m -> m.rewards().getOrDefault(name, Double.NaN))
                    .filter(Double::isFinite)
                    .toArray();
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %s | %s |%n",
                    name,
                    spec == null ? "" : spec.fn(),
                    spec == null
                            ? ""
                            : java.math.BigDecimal.valueOf(spec.weight())
                                    .stripTrailingZeros()
                                    .toPlainString(),
                    values.length == 0 ? "" : String.format(Locale.ROOT, "%.3f", values[0]),
                    values.length == 0 ? "" : String.format(Locale.ROOT, "%.3f", values[values.length - 1]),
                    values.length == 0
                            ? ""
                            : String.format(
                                    Locale.ROOT,
                                    "%.3f",
                                    Arrays.stream(values).average().orElse(Double.NaN))));
        }
        md.append('\n');
        if (names.size() > 1) {
            md.append("| step | ").append(String.join(" | ", names)).append(" |\n|---|");
            md.append("---|".repeat(names.size())).append('\n');
            for (StepMetrics m : run.steps()) {
                md.append("| ").append(m.step());
                for (String name : names) {
                    double v = m.rewards().getOrDefault(name, Double.NaN);
                    md.append(" | ").append(Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "");
                }
                md.append(" |\n");
            }
            md.append('\n');
        }
    }

    private static JFreeChart rewardChart(RunSummary run) {
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(series("reward (T = sampling)", run.steps(), StepMetrics::rewardMean));
        data.addSeries(series("held-out greedy accuracy", run.steps(), StepMetrics::heldOutAccuracy));
        XYSeries before = new XYSeries("held-out accuracy before GSPO");
        if (Double.isFinite(run.heldOutBefore())) {
            before.add(0, run.heldOutBefore());
        }
        data.addSeries(before);
        JFreeChart chart = ChartStyle.lines("Reward and accuracy — " + run.runId(), "step", "value", data, true);
        XYPlot plot = chart.getXYPlot();
        plot.getRangeAxis().setRange(0, 1);
        var renderer = new org.jfree.chart.renderer.xy.XYLineAndShapeRenderer(true, false);
        renderer.setSeriesShapesVisible(1, true);
        renderer.setSeriesShapesVisible(2, true);
        renderer.setSeriesLinesVisible(2, false);
        plot.setRenderer(renderer);
        return chart;
    }

    private static JFreeChart clipChart(RunSummary run) {
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(positive("sequence-level", run.steps(), StepMetrics::clipSeqTotal));
        data.addSeries(positive("token-level", run.steps(), StepMetrics::clipTokTotal));
        JFreeChart chart = ChartStyle.lines(
                "Clip fraction — " + run.config().objective().lossMode()
                        + String.format(
                                Locale.ROOT,
                                " ε = [%.2g, %.2g]",
                                run.config().objective().clipLow(),
                                run.config().objective().clipHigh()),
                "step",
                "clip fraction (log scale)",
                data,
                true);
        chart.getXYPlot().setRangeAxis(ChartStyle.decades("clip fraction (log scale)"));
        return chart;
    }

    /** The supervised warm start's token-mean NLL per warm-start step (a run's report and the experiments'). */
    public static JFreeChart warmStartLossChart(String title, List<Double> loss) {
        XYSeries s = new XYSeries("token-mean NLL");
        for (int i = 0; i < loss.size(); i++) {
            s.add(i + 1, loss.get(i));
        }
        return ChartStyle.lines(title, "warm-start step", "loss", new XYSeriesCollection(s), false);
    }

    private static XYSeries series(String name, List<StepMetrics> steps, ToDoubleFunction<StepMetrics> f) {
        XYSeries s = new XYSeries(name);
        for (StepMetrics m : steps) {
            double v = f.applyAsDouble(m);
            if (Double.isFinite(v)) {
                s.add(m.step(), v);
            }
        }
        return s;
    }

    /** A log axis cannot show 0: steps with no clipping are left out of the line. */
    private static XYSeries positive(String name, List<StepMetrics> steps, ToDoubleFunction<StepMetrics> f) {
        XYSeries s = new XYSeries(name);
        for (StepMetrics m : steps) {
            double v = f.applyAsDouble(m);
            if (Double.isFinite(v) && v > 0) {
                s.add(m.step(), v);
            }
        }
        return s;
    }

    private static String pct(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f%%", 100 * v) : "n/a";
    }
}
