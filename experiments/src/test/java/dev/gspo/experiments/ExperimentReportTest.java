package dev.gspo.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.objective.LossMode;
import dev.gspo.optimizer.loop.StepMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report's verdicts are generated from the numbers: on synthetic results of 5 seeds whose differences are known,
 * each sentence must say what the numbers say, with the paired Student-t 95% interval computed here independently.
 */
class ExperimentReportTest {
    private static final double[] BEFORE = {0.24, 0.31, 0.32, 0.28, 0.35};

    @TempDir
    Path dir;

    /** GSPO − GRPO held-out differences per seed (GSPO-token as GSPO); rewards rise alike. */
    private ExperimentResult result(double[] gspoGain, double[] grpoGain, double gspoClipTok, double grpoClipTok) {
        ExperimentConfig c = ExperimentConfig.full(dir.resolve("E.md"), dir);
        List<Arm> arms = new ArrayList<>();
        List<RunResult> runs = new ArrayList<>();
        for (String setting : Experiment.SETTINGS) {
            for (LossMode mode : List.of(LossMode.GSPO, LossMode.GSPO_TOKEN, LossMode.GRPO)) {
                Arm arm = new Arm(mode, setting, mode.paperClipRange());
                arms.add(arm);
                for (int s = 0; s < 5; s++) {
                    double gain = mode == LossMode.GRPO ? grpoGain[s] : gspoGain[s];
                    double clip = mode == LossMode.GRPO ? grpoClipTok : gspoClipTok;
                    runs.add(new RunResult(
                            arm, s + 1, steps(c.steps(), 0.3, 0.3 + gain, clip), BEFORE[s], BEFORE[s] + gain, 100));
                }
            }
        }
        List<WarmStart.Result> warm = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            warm.add(new WarmStart.Result(
                    dir.resolve("w" + s), BEFORE[s], List.of(1.0, 0.5), 60, (long) s + 1, 0.31, "target-reached"));
        }
        return new ExperimentResult(
                c,
                warm.getFirst(),
                new Sweep(List.of()),
                arms,
                runs,
                0.3,
                0.3 + c.rewardGain(),
                30,
                3600,
                "./gspo " + "experiment",
                "2026-12-03",
                warm);
    }

    @Test
    void aClearPairedDifferenceIsCalledWithItsStudentInterval() {
        double[] gspo = {0.20, 0.25, 0.18, 0.22, 0.21};
        double[] grpo = {0.10, 0.14, 0.09, 0.13, 0.10};
        ExperimentResult r = result(gspo, grpo, 0.2, 0.002);

        String sentence = ExperimentReport.claim1Sentence(r, "paper");

        double mean = 0.1;
        double half = halfWidth(gspo, grpo);
        assertThat(sentence)
                .startsWith("Claim 1 **supported**")
                .contains(String.format(Locale.ROOT, "GSPO better (d = %+.3f ± %.3f)", mean, half));
        assertThat(ExperimentReport.learningSentence(r, "paper"))
                .containsPattern("; gspo-token \\+0\\.\\d{3} reward, \\+21\\.2 points held-out;")
                .containsPattern("; grpo \\+0\\.\\d{3} reward, \\+11\\.2 points held-out\\.$");
        assertThat(ExperimentReport.claim2Sentence(r, "paper"))
                .startsWith("Claim 2 **reproduced**")
                .contains("a ratio of 100 (2.0 orders");
    }

    @Test
    void differencesOfBothSignsAreWithinNoiseAndASmallClipGapIsNotAReproduction() {
        double[] gspo = {0.20, 0.10, 0.16, 0.12, 0.15};
        double[] grpo = {0.15, 0.15, 0.13, 0.15, 0.15};
        ExperimentResult r = result(gspo, grpo, 0.012, 0.01);

        assertThat(ExperimentReport.claim1Sentence(r, "tuned"))
                .startsWith("Claim 1 **only half supported**")
                .contains("held-out accuracy after 0.446 ± ")
                .contains(String.format(Locale.ROOT, "within noise (d = +0.000 ± %.3f)", halfWidth(gspo, grpo)));
        assertThat(ExperimentReport.claim2Sentence(r, "tuned")).startsWith("Claim 2 **not reproduced**");
    }

    @Test
    void grpoBetterBeyondTheNoiseIsSaid() {
        double[] gspo = {0.05, 0.06, 0.04, 0.05, 0.07};
        double[] grpo = {0.15, 0.17, 0.14, 0.16, 0.15};

        assertThat(ExperimentReport.claim1Sentence(result(gspo, grpo, 0.2, 0.002), "paper"))
                .startsWith("Claim 1 **not supported**: GRPO did better beyond the seed noise")
                .contains("GRPO better (d = -0.100 ± ");
    }

    @Test
    void aMarginalGrpoAdvantageIsCalledMarginal() {
        // d = (−0.02, −0.02, −0.005, −0.01, −0.005): mean −0.012, half-width 2.776 · 0.0076 / √5 ≈ 0.0094 < 0.012
        double[] gspo = {0.10, 0.10, 0.115, 0.11, 0.115};
        double[] grpo = {0.12, 0.12, 0.12, 0.12, 0.12};
        double half = halfWidth(gspo, grpo);

        assertThat(0.012).isBetween(half, 1.5 * half);
        assertThat(ExperimentReport.claim1Sentence(result(gspo, grpo, 0.2, 0.002), "paper"))
                .startsWith(
                        "Claim 1 **not supported**: GRPO did better beyond the seed noise, by a marginal difference")
                .contains(String.format(
                        Locale.ROOT,
                        "GRPO better (d = -0.012 ± %.3f, marginal: the interval barely excludes 0)",
                        half));
    }

    @Test
    void theMarkdownShowsEachSeedsWarmStartAndItsPairs() {
        ExperimentResult r = result(
                new double[] {0.20, 0.25, 0.18, 0.22, 0.21}, new double[] {0.10, 0.14, 0.09, 0.13, 0.10}, 0.2, 0.002);

        String md = ExperimentReport.markdown(r, "experiments", List.of());

        assertThat(md)
                .contains("| 3 | 2 | target-reached | 31.0% | 32.0% | 60 |")
                .contains("| 2 | 0.310 → 0.560 (+25.0) | 0.310 → 0.560 (+25.0) | 0.310 → 0.450 (+14.0) |")
                .contains("2-digit addition (`minDigits` = `maxDigits` = 2)")
                .contains("stop at check accuracy ≥ 0.3");
    }

    /** The paired 95% half-width t₄ · sd(d) / √5 of d_s = gspo_s − grpo_s, computed here (t_{4, 0.975} = 2.776). */
    private static double halfWidth(double[] gspo, double[] grpo) {
        double[] d = new double[gspo.length];
        for (int s = 0; s < d.length; s++) {
            d[s] = gspo[s] - grpo[s];
        }
        double mean = Arrays.stream(d).average().orElseThrow();
        double sd = Math.sqrt(Arrays.stream(d).map(x -> (x - mean) * (x - mean)).sum() / (d.length - 1));
        return 2.776 * sd / Math.sqrt(d.length);
    }

    /** {@code n} steps whose reward rises linearly from {@code from} to {@code to}; token clip fraction {@code clip}. */
    private static List<StepMetrics> steps(int n, double from, double to, double clip) {
        List<StepMetrics> out = new ArrayList<>();
        for (int k = 1; k <= n; k++) {
            double r = k == n ? to : from + (to - from) * (k - 1) / (n - 1);
            out.add(new StepMetrics(
                    k,
                    n,
                    "gspo",
                    k + 1,
                    r,
                    0.1,
                    r,
                    Double.NaN,
                    0,
                    1,
                    0,
                    clip,
                    clip,
                    0,
                    clip,
                    clip,
                    1,
                    1,
                    1,
                    0,
                    1,
                    1e-6,
                    1e-6,
                    0.2,
                    3,
                    100,
                    100,
                    0,
                    0,
                    0.1,
                    0.1,
                    0.01,
                    0.3,
                    Double.NaN,
                    Map.of(),
                    0,
                    0,
                    0));
        }
        return out;
    }
}
