package dev.gspo.experiments;

import dev.gspo.common.objective.ClipRange;
import dev.gspo.common.objective.LossMode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The dense experiment (the paper's claims 1 and 2, docs/ALGORITHM.md §14): GSPO, GSPO-token and GRPO trained from one warm start with the same seeds and rollout
 * budget, under the paper's clip ranges and under ranges tuned for this model by a sweep.
 *
 * <pre>
 *   1. warm start (once)                                   → model dir M
 *   2. sweep on seed s₁: GSPO ε ∈ gspoSweep, GRPO ε ∈ grpoSweep, each from M → tuned range per mode
 *   3. for each seed s, each setting (paper, tuned), each mode (gspo, gspo-token, grpo): a run from M
 * </pre>
 *
 * A run is determined by its config (mode, range, seed; the rest is shared), up to float rounding in libtorch, so
 * a run needed twice (a sweep candidate that is also the paper preset or the pick, on the sweep's seed) is run once
 * and reported under both names.
 */
public final class Experiment {
    public static final List<String> SETTINGS = List.of("paper", "tuned");
    private static final List<LossMode> MODES = List.of(LossMode.GSPO, LossMode.GSPO_TOKEN, LossMode.GRPO);

    private final ExperimentConfig config;
    private final PrintStream log;
    private final String commandLine;
    private final Map<String, RunResult> done = new HashMap<>();
    private ArmRunner runner;

    public Experiment(ExperimentConfig config, PrintStream log, String commandLine) {
        this.config = config;
        this.log = log;
        this.commandLine = commandLine;
    }

    public ExperimentResult run() {
        long started = System.nanoTime();
        log.printf("experiment: warm start (%d supervised steps)%n", config.sftSteps());
        WarmStart.Result warm = WarmStart.run(config, config.workDir().resolve("warm-start"), log);
        log.printf(
                Locale.ROOT,
                "experiment: warm start done in %.0f s, held-out accuracy %.3f (%s)%n",
                warm.wallSeconds(),
                warm.heldOut(),
                warm.modelDir());
        runner = new ArmRunner(config, warm.modelDir(), config.workDir().resolve("runs"), log);

        long sweepSeed = config.firstSeed();
        List<RunResult> swept = new ArrayList<>();
        for (Arm arm : sweepArms()) {
            swept.add(runOnce(arm, sweepSeed, "sweep"));
        }
        Sweep sweep = Sweep.of(swept);
        log.printf(
                "experiment: tuned ranges: gspo %s, grpo %s%n",
                text(sweep.tuned(LossMode.GSPO)), text(sweep.tuned(LossMode.GRPO)));

        List<Arm> arms = new ArrayList<>();
        for (String setting : SETTINGS) {
            for (LossMode mode : MODES) {
                arms.add(new Arm(mode, setting, setting.equals("paper") ? mode.paperClipRange() : sweep.tuned(mode)));
            }
        }
        List<RunResult> runs = new ArrayList<>();
        for (long seed : config.seedList()) {
            for (Arm arm : arms) {
                runs.add(runOnce(arm, seed, "main"));
            }
        }
        double r0 = runs.stream()
                .mapToDouble(r -> r.steps().getFirst().rewardMean())
                .average()
                .orElse(Double.NaN);
        return new ExperimentResult(
                config,
                warm,
                sweep,
                arms,
                runs,
                r0,
                r0 + config.rewardGain(),
                done.size(),
                (System.nanoTime() - started) / 1e9,
                commandLine,
                java.time.LocalDate.now().toString());
    }

    private List<Arm> sweepArms() {
        List<Arm> arms = new ArrayList<>();
        config.gspoSweep().forEach(e -> arms.add(new Arm(LossMode.GSPO, "sweep", Arm.scaledRange(LossMode.GSPO, e))));
        config.grpoSweep().forEach(e -> arms.add(new Arm(LossMode.GRPO, "sweep", Arm.scaledRange(LossMode.GRPO, e))));
        return arms;
    }

    private RunResult runOnce(Arm arm, long seed, String phase) {
        String key = arm.runKey() + "#" + seed;
        RunResult known = done.get(key);
        if (known != null) {
            log.printf("  %s %s %s seed %d: same run as before, reused%n", phase, arm.label(), arm.clipText(), seed);
            return known.as(arm);
        }
        log.printf("  %s %s %s seed %d (run %d)%n", phase, arm.label(), arm.clipText(), seed, done.size() + 1);
        RunResult r = runner.run(arm, seed);
        log.printf(
                Locale.ROOT,
                "  → held-out %.3f → %.3f, final reward %.3f, clip seq %.4f tok %.4f, %.0f s%n",
                r.heldOutBefore(),
                r.heldOutAfter(),
                RunMeasures.finalReward(r, config.window()),
                RunMeasures.clipSequence(r),
                RunMeasures.clipToken(r),
                r.wallSeconds());
        done.put(key, r);
        return r;
    }

    private static String text(ClipRange c) {
        return String.format(Locale.ROOT, "[%.2g, %.2g]", c.low(), c.high());
    }
}
