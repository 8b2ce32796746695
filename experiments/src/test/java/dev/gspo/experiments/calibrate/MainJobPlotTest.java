package dev.gspo.experiments.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainJobPlotTest {
    @TempDir
    Path dir;

    @Test
    void aRunDirectoryGivesTheWarmStartThenEveryEvaluatedStep() throws Exception {
        Path run = runDirectory("seed-2", 2, 0.31);
        MainJobPlot.Curve curve = MainJobPlot.fromRunDirectory(run);

        assertThat(curve.seed()).isEqualTo(2);
        assertThat(curve.accuracyByStep()).containsExactlyEntriesOf(new TreeMap<>(Map.of(0L, 0.31, 2L, 0.5, 4L, 0.62)));
        assertThat(curve.start()).isEqualTo(0.31);
        assertThat(curve.end()).isEqualTo(0.62);
        assertThat(curve.label()).isEqualTo("seed 2: 31.0% → 62.0%");
    }

    @Test
    void aLoraRunIsLabelledWithItsRankAndLearningRate() throws Exception {
        Path run = runDirectory("lora", 1, 0.25);
        Files.writeString(run.resolve("run.json"), """
                {"heldOutAccuracyBefore": 0.25, "config": {"seed": 1, "optimizer": {"learningRate": 0.002},
                 "lora": {"rank": 8, "alpha": 32.0}}}
                """);
        MainJobPlot.Curve lora = MainJobPlot.fromRunDirectory(run);
        assertThat(lora.label()).isEqualTo("seed 1, LoRA r8, lr 0.002: 25.0% → 62.0%");

        var lines = MainJobPlot.chart(List.of(lora, MainJobPlot.fromRunDirectory(runDirectory("full", 1, 0.25))))
                .getXYPlot()
                .getDataset();
        assertThat(List.of(lines.getSeriesKey(0), lines.getSeriesKey(1)))
                .as("the legend names each line by its label")
                .containsExactly("seed 1, LoRA r8, lr 0.002: 25.0% → 62.0%", "seed 1: 25.0% → 62.0%");
    }

    @Test
    void aResultsFileGivesOneCurvePerLine() throws Exception {
        Path results = dir.resolve("results.jsonl");
        Files.writeString(results, """
                {"seed": 1, "heldOutAfter": 0.7, "curve": {"0": 0.2, "50": 0.5, "100": 0.7}}

                {"seed": 3, "heldOutAfter": 0.4, "curve": {"0": 0.3, "50": 0.4}}
                """);
        List<MainJobPlot.Curve> curves = MainJobPlot.read(results);

        assertThat(curves).extracting(MainJobPlot.Curve::seed).containsExactly(1L, 3L);
        assertThat(curves.get(0).accuracyByStep())
                .containsExactlyEntriesOf(new TreeMap<>(Map.of(0L, 0.2, 50L, 0.5, 100L, 0.7)));
    }

    @Test
    void drawsOnePngWithEveryRun() throws Exception {
        Path out = dir.resolve("plots/seeds.png");
        MainJobPlot.main(new String[] {
            out.toString(),
            runDirectory("a", 1, 0.24).toString(),
            runDirectory("b", 2, 0.31).toString()
        });

        BufferedImage image = ImageIO.read(out.toFile());
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isGreaterThan(100);
    }

    @Test
    void aFolderWithoutARunIsRefusedByName() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> MainJobPlot.read(empty))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a run directory");
    }

    /** What the optimizer-service writes for a run: run.json, and metrics.jsonl with "NaN" where nothing was evaluated. */
    private Path runDirectory(String name, long seed, double before) throws Exception {
        Path run = Files.createDirectories(dir.resolve(name));
        Files.writeString(run.resolve("run.json"), """
                {"runId": "r", "state": "completed", "heldOutAccuracyBefore": %s, "heldOutAccuracyAfter": 0.62,
                 "config": {"seed": %d, "steps": 4}}
                """.formatted(before, seed));
        Files.writeString(run.resolve("metrics.jsonl"), """
                {"step":1,"phase":"gspo","heldOutAccuracy":"NaN","rewardMean":0.2}
                {"step":2,"phase":"gspo","heldOutAccuracy":0.5,"rewardMean":0.3}
                {"step":3,"phase":"gspo","heldOutAccuracy":"NaN","rewardMean":0.3}
                {"step":4,"phase":"gspo","heldOutAccuracy":0.62,"rewardMean":0.4}
                """);
        return run;
    }
}
