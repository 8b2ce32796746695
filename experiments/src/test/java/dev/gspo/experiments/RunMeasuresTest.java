package dev.gspo.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.gspo.common.objective.LossMode;
import dev.gspo.optimizer.loop.StepMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunMeasuresTest {
    private static final Arm GSPO = new Arm(LossMode.GSPO, "paper", LossMode.GSPO.paperClipRange());

    @Test
    void finalRewardIsTheMeanOfTheLastWindow() {
        RunResult run = run(0.1, 0.2, 0.3, 0.5);

        assertThat(RunMeasures.finalReward(run, 2)).isCloseTo(0.4, within(1e-12));
        assertThat(RunMeasures.lateReward(run)).isCloseTo(0.4, within(1e-12));
    }

    @Test
    void stepsToThresholdIsTheFirstFullWindowWhoseMeanReachesIt() {
        RunResult run = run(0.9, 0.1, 0.3, 0.5, 0.5);

        assertThat(RunMeasures.stepsToThreshold(run, 0.5, 2)).isEqualTo(2); // (0.9 + 0.1)/2 = 0.5 at step 2
        assertThat(RunMeasures.stepsToThreshold(run, 0.6, 2)).isNaN();
        assertThat(RunMeasures.stepsToThreshold(run, 0.8, 1)).isEqualTo(1);
        assertThat(RunMeasures.stepsToThreshold(run, 0.43, 3)).isEqualTo(3); // (0.9 + 0.1 + 0.3)/3 ≈ 0.433
    }

    @Test
    void clipFractionsAreMeansOverSteps() {
        RunResult run = run(0.1, 0.2);

        assertThat(RunMeasures.clipSequence(run)).isCloseTo(0.15, within(1e-12));
        assertThat(RunMeasures.clipToken(run)).isCloseTo(0.015, within(1e-12));
    }

    @Test
    void statUsesBesselsCorrectionAndLeavesOutNonFiniteValues() {
        Stat s = Stat.of(1, 2, 3, Double.NaN);

        assertThat(s.n()).isEqualTo(3);
        assertThat(s.mean()).isEqualTo(2);
        assertThat(s.std()).isCloseTo(1, within(1e-12));
        assertThat(Stat.of(5).format("%.1f")).isEqualTo("5.0");
        assertThat(Stat.of().format("%.1f")).isEqualTo("—");
    }

    @Test
    void comparisonPairsTheSeedsAndJudgesWithTheStudentInterval() {
        // seeds differ a lot (prompt difficulty), GSPO − GRPO is +0.02 on every seed: a clear paired difference
        Comparison paired = new Comparison(
                "reward",
                "%.3f",
                Stat.of(0.22, 0.42, 0.32),
                Stat.of(0.20, 0.40, 0.30),
                new double[] {0.02, 0.021, 0.019},
                true);
        // differences of both signs: the interval d̄ ± t₂·SE = 0.0033 ± 4.30·0.0145 contains 0
        Comparison noisy = new Comparison(
                "reward",
                "%.3f",
                Stat.of(0.3, 0.3, 0.3),
                Stat.of(0.3, 0.3, 0.3),
                new double[] {0.03, -0.02, 0.0},
                true);
        Comparison fewerSteps = new Comparison(
                "steps",
                "%.1f",
                Stat.of(10, 11, 12),
                Stat.of(30, 31, 32),
                new double[] {-20, -19, -21, Double.NaN},
                false);

        assertThat(paired.verdict()).startsWith("GSPO better");
        assertThat(noisy.verdict()).startsWith("within noise");
        assertThat(fewerSteps.verdict()).startsWith("GSPO better");
        assertThat(fewerSteps.pairs()).isEqualTo(3);
        assertThat(new Comparison("r", "%.1f", Stat.of(1), Stat.of(0), new double[] {1}, true).judged())
                .isFalse();
        assertThat(Comparison.t95(2)).isEqualTo(4.303);
        assertThat(Comparison.t95(30)).isCloseTo(2.042, within(0.01));
    }

    @Test
    void sweepPicksTheHighestLateRewardPerModeAndGspoTokenFollowsGspo() {
        RunResult small = new RunResult(
                new Arm(LossMode.GSPO, "sweep", Arm.scaledRange(LossMode.GSPO, 3e-4)), 1, steps(0.1, 0.2), 0, 0, 1);
        RunResult large = new RunResult(
                new Arm(LossMode.GSPO, "sweep", Arm.scaledRange(LossMode.GSPO, 1e-2)), 1, steps(0.1, 0.4), 0, 0, 1);
        RunResult grpo = new RunResult(
                new Arm(LossMode.GRPO, "sweep", Arm.scaledRange(LossMode.GRPO, 0.1)), 1, steps(0.1, 0.1), 0, 0, 1);

        Sweep sweep = Sweep.of(List.of(small, large, grpo));

        assertThat(sweep.tuned(LossMode.GSPO)).isEqualTo(large.arm().clip());
        assertThat(sweep.tuned(LossMode.GSPO_TOKEN)).isEqualTo(large.arm().clip());
        assertThat(sweep.tuned(LossMode.GRPO).low()).isEqualTo(0.1);
        assertThat(sweep.tuned(LossMode.GRPO).high()).isCloseTo(0.135, within(1e-12));
        assertThat(Arm.scaledRange(LossMode.GSPO, 3e-4)).isEqualTo(LossMode.GSPO.paperClipRange());
    }

    private static RunResult run(double... rewards) {
        return new RunResult(GSPO, 1, steps(rewards), 0.2, 0.3, 10);
    }

    /** Steps with the given rewards; clip fraction per sequence = reward, per token = reward / 10. */
    private static List<StepMetrics> steps(double... rewards) {
        List<StepMetrics> out = new ArrayList<>();
        for (int k = 0; k < rewards.length; k++) {
            double r = rewards[k];
            out.add(new StepMetrics(
                    k + 1,
                    rewards.length,
                    "gspo",
                    k + 2,
                    r,
                    0.1,
                    r,
                    Double.NaN,
                    0,
                    1,
                    0,
                    r,
                    r,
                    0,
                    r / 10,
                    r / 10,
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
