package dev.gspo.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.objective.LossMode;
import dev.gspo.experiments.MoeExperiment.Regime;
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
 * The MoE section's calibration pick and verdicts come from the numbers: synthetic results of 3 seeds whose
 * differences are known, rendered without training.
 */
class MoeReportTest {
    private static final double[] BEFORE = {0.30, 0.25, 0.33};
    private static final Arm SWEPT = new Arm(LossMode.GSPO, MoeExperiment.CALIBRATION, LossMode.GSPO.paperClipRange());

    @TempDir
    Path dir;

    @Test
    void theCalibrationPicksTheBestHeldOutGainNotTheBestReward() {
        RunResult fast = run(SWEPT, 1, 0.30, 0.28, 0.2, 0.9, 0.01); // reward up, held-out down
        RunResult good = run(SWEPT, 1, 0.30, 0.42, 0.2, 0.5, 0.01);
        RunResult slow = run(SWEPT, 1, 0.30, 0.33, 0.2, 0.3, 0.01);

        LrSweep sweep = LrSweep.of(List.of(3e-4, 1e-4, 1e-5), List.of(fast, good, slow));

        assertThat(sweep.chosen(9.0)).isEqualTo(1e-4);
        assertThat(sweep.candidates().stream().filter(LrSweep.Candidate::chosen))
                .hasSize(1);
        assertThat(sweep.candidates().get(1).gain()).isCloseTo(0.12, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(new LrSweep(List.of()).chosen(9.0))
                .as("nothing swept: the configured lr")
                .isEqualTo(9.0);
    }

    @Test
    void equalHeldOutGainsAreDecidedByTheLateReward() {
        RunResult low = run(SWEPT, 1, 0.30, 0.40, 0.2, 0.3, 0.01);
        RunResult high = run(SWEPT, 1, 0.30, 0.40, 0.2, 0.6, 0.01);

        assertThat(LrSweep.of(List.of(1e-4, 5e-5), List.of(low, high)).chosen(0))
                .isEqualTo(5e-5);
    }

    @Test
    void grpoCollapsingWithoutReplayOnlyInTheHarsherRegimeIsCalledReproducedThereAndTheExpertRiseIsShown() {
        ExperimentResult r = result(true);

        String calm = MoeReport.verdict(r, Regime.CALIBRATED);
        String harsh = MoeReport.verdict(r, Regime.HARSH);
        String rise = MoeReport.harsherSentence(r);

        assertThat(calm).startsWith("Claim 3 **not reproduced at this scale**");
        assertThat(harsh)
                .startsWith("Claim 3 **reproduced**")
                .contains("collapsed runs: GSPO 0/3, GRPO 3/3, GRPO + replay 0/3");
        // expert change per seed: calibrated 0.010, 0.012, 0.011; harsher 0.030, 0.034, 0.035 (d = 0.020, 0.022, 0.024)
        double[] d = {0.020, 0.022, 0.024};
        assertThat(rise)
                .startsWith("In the harsher regime routing moved **more** between π_old and π_θ in every arm")
                .contains(String.format(Locale.ROOT, "higher for harsher (d = %+.4f ± %.4f)", 0.022, half(d)));
        assertThat(MoeReport.calibrationSentence(r))
                .contains("lr* = **0.0001**")
                .contains("0.0003: -2.0, 0.0001: +12.0");
    }

    @Test
    void theSectionHasTheCalibrationBothRegimesAndACommandBesideEveryFigure() {
        ExperimentResult r = result(false);
        List<String> files = List.of(
                "moe-lr-sweep.png",
                "moe-reward.png",
                "moe-heldout.png",
                "moe-clip.png",
                "moe-experts.png",
                "moe-harsh-reward.png",
                "moe-harsh-heldout.png",
                "moe-harsh-clip.png",
                "moe-harsh-experts.png");

        String md = MoeReport.section(r, "experiments", files);

        assertThat(md)
                .contains(
                        "### Calibration: the learning rate (GSPO, no replay, seed 1, 20 steps, 2 minibatches)",
                        "### Calibrated regime (lr 0.0001, 2 minibatches per step)",
                        "### Harsher regime (lr 0.0003, 8 minibatches per step)",
                        "### Does routing move more in the harsher regime?",
                        "| 0.0001 | 0.300 | 0.420 | +12.0 |");
        for (String f : files) {
            assertThat(md).contains("](experiments/" + f + ")\n\n`" + f + "`: `./gspo experiment --moe`\n");
        }
        assertThat(md.indexOf("](experiments/moe-harsh-reward.png)"))
                .as("the harsher regime's figures in its own section")
                .isGreaterThan(md.indexOf("### Harsher regime"));
        assertThat(md.indexOf("](experiments/moe-reward.png)"))
                .isBetween(md.indexOf("### Calibrated regime"), md.indexOf("### Harsher regime"));
        assertThat(md.lines().filter(l -> l.matches("\\| (gspo|grpo) \\| (yes|no) \\|.*")))
                .as("3 arms per regime")
                .hasSize(6);
        assertThat(md).doesNotContainIgnoringCase("nan");
    }

    @Test
    void aStoppedExperimentSaysItsResultsArePartialAndHowToFinishThem() {
        ExperimentResult full = result(false);
        ExperimentResult partial = new ExperimentResult(
                full.config(),
                full.warmStart(),
                full.sweep(),
                full.arms(),
                full.runs().stream().filter(x -> x.seed() <= 2).toList(),
                full.startReward(),
                full.threshold(),
                14,
                300,
                full.commandLine(),
                full.ranOn(),
                full.warmStarts(),
                full.lrSweep());

        String md = MoeReport.section(partial, "experiments", List.of());

        assertThat(MoeReport.section(full, "experiments", List.of())).doesNotContain("Partial results");
        assertThat(md)
                .contains("**Partial results**: 12 of the 18 runs")
                .contains("`--resume-from <work-dir>/results-partial.json`")
                .contains("| 3 | — | — | — |")
                .contains("collapsed runs: GSPO 0/2")
                .doesNotContainIgnoringCase("nan");
    }

    /** 3 seeds; both regimes; in the harsher one GRPO without replay collapses when {@code grpoCollapses}. */
    private ExperimentResult result(boolean grpoCollapses) {
        ExperimentConfig c = ExperimentConfig.moe(dir.resolve("E.md"), dir);
        c = new ExperimentConfig(
                3,
                1,
                20,
                c.promptsPerStep(),
                c.groupSize(),
                c.miniBatches(),
                c.learningRate(),
                c.temperature(),
                c.maxNewTokens(),
                c.modelSeed(),
                c.sftSteps(),
                c.sftBatchSize(),
                c.sftLearningRate(),
                10,
                c.evalSize(),
                5,
                c.rewardGain(),
                List.of(),
                List.of(),
                c.out(),
                c.workDir(),
                c.model(),
                c.base(),
                c.baseConfig(),
                null,
                new ExperimentConfig.MoeSpec(List.of(3e-4, 1e-4), 20, 8, 3));
        double[] calmExperts = {0.010, 0.012, 0.011};
        double[] harshExperts = {0.030, 0.034, 0.035};
        List<Arm> arms = new ArrayList<>();
        List<RunResult> runs = new ArrayList<>();
        for (Regime regime : Regime.values()) {
            for (Arm arm : regime.arms()) {
                arms.add(arm);
                for (int s = 0; s < 3; s++) {
                    boolean collapse = grpoCollapses
                            && regime == Regime.HARSH
                            && arm.mode() == LossMode.GRPO
                            && !arm.routingReplay();
                    double experts = regime == Regime.HARSH ? harshExperts[s] : calmExperts[s];
                    runs.add(
                            collapse
                                    ? run(arm, s + 1, BEFORE[s], 0.05, 0.3, 0.05, experts)
                                    : run(arm, s + 1, BEFORE[s], BEFORE[s] + 0.1, 0.3, 0.45, experts));
                }
            }
        }
        LrSweep sweep = LrSweep.of(
                List.of(3e-4, 1e-4),
                List.of(run(SWEPT, 1, 0.30, 0.28, 0.3, 0.4, 0.02), run(SWEPT, 1, 0.30, 0.42, 0.3, 0.45, 0.01)));
        List<WarmStart.Result> warm = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
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
                0.4,
                19,
                600,
                "./gspo experiment --moe",
                "2026-12-03",
                warm,
                sweep);
    }

    private static double half(double[] d) {
        double mean = Arrays.stream(d).average().orElseThrow();
        double sd = Math.sqrt(Arrays.stream(d).map(x -> (x - mean) * (x - mean)).sum() / (d.length - 1));
        return 4.303 * sd / Math.sqrt(d.length);
    }

    /** 20 steps, reward from {@code r0} to {@code r1}, every step's expert change {@code experts}. */
    private static RunResult run(
            Arm arm, long seed, double before, double after, double r0, double r1, double experts) {
        List<StepMetrics> steps = new ArrayList<>();
        int n = 20;
        for (int k = 1; k <= n; k++) {
            double r = r0 + (r1 - r0) * (k - 1) / (n - 1);
            steps.add(new StepMetrics(
                    k,
                    n,
                    arm.mode().wireName(),
                    k + 1,
                    r,
                    0.1,
                    r,
                    k == n ? after : Double.NaN,
                    0,
                    1,
                    0,
                    0.01,
                    0.01,
                    0,
                    0.01,
                    0.01,
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
                    experts,
                    Map.of(),
                    0,
                    0,
                    0));
        }
        return new RunResult(arm, seed, steps, before, after, 60);
    }
}
