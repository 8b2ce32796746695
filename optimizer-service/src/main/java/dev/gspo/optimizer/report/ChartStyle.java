package dev.gspo.optimizer.report;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.StandardChartTheme;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.SeriesRenderingOrder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYDataset;

/**
 * The look of every plot the project writes, a run's report ({@link ReportWriter}) and the experiments' alike:
 * JFreeChart's legacy theme, white plots with light grid lines, series drawn in legend order, whole steps on a step
 * axis, log axes ticked at decades, {@value #WIDTH} pixels wide.
 */
public final class ChartStyle {
    public static final int WIDTH = 900;

    private ChartStyle() {}

    /** Headless drawing and the theme; call before the charts are created (the factory applies the theme then). */
    public static void prepare() {
        System.setProperty("java.awt.headless", "true");
        ChartFactory.setChartTheme(StandardChartTheme.createLegacyTheme());
    }

    /** A line chart of x-y series, vertical, with or without a legend, no tooltips or links (pages, not screens). */
    public static JFreeChart lines(String title, String xLabel, String yLabel, XYDataset data, boolean legend) {
        return ChartFactory.createXYLineChart(
                title, xLabel, yLabel, data, PlotOrientation.VERTICAL, legend, false, false);
    }

    /** Writes the chart, {@link #styled}, as a PNG {@value #WIDTH} × {@code height} pixels. */
    public static void savePng(Path file, JFreeChart chart, int height) throws IOException {
        ChartUtils.saveChartAsPNG(file.toFile(), styled(chart), WIDTH, height);
    }

    /**
     * White plots with light grid lines read better on a page than the default grey; series drawn in legend order
     * (so a dashed line listed later shows on top of a solid one); whole steps on a step axis.
     */
    public static JFreeChart styled(JFreeChart chart) {
        XYPlot plot = chart.getXYPlot();
        plot.setSeriesRenderingOrder(SeriesRenderingOrder.FORWARD);
        if (plot.getDomainAxis() instanceof NumberAxis steps) {
            steps.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        }
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** A log axis ticked at whole decades, labelled in plain decimals (0.001, 0.01, 0.1); values below 1e-5 clip. */
    public static LogAxis decades(String label) {
        LogAxis axis = new LogAxis(label);
        axis.setSmallestValue(1e-5);
        axis.setTickUnit(new NumberTickUnit(1.0));
        axis.setNumberFormatOverride(new DecimalFormat("0.#####", DecimalFormatSymbols.getInstance(Locale.ROOT)));
        return axis;
    }
}
