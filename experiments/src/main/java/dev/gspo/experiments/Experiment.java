package dev.gspo.experiments;

import dev.gspo.common.objective.ClipRange;
import dev.gspo.common.objective.LossMode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The dense experiment (the paper's claims 1 and 2, docs/ALGORITHM.md §14): GSPO, GSPO-token and GRPO trained from one warm start with the same seeds and rollout
 * budget, under the paper's clip ranges and under ranges tuned for this model by a sweep.
 *
 * <pre>
 *   1. warm start of each seed s (with a base: the base's warm start with seed s, e.g. the main job's stop at a
 *      target accuracy; without: one warm start from modelSeed for every seed)          → model dir M_s
 *   2. sweep on seed s₁: GSPO ε ∈ gspoSweep, GRPO ε ∈ grpoSweep, sweepSteps each, from M_s₁ → tuned range per mode
 *   3. for each seed s, each setting (paper, tuned), each mode (gspo, gspo-token, grpo): a run from M_s
 * </pre>
 *
 * Every run of seed s resumes M_s (weights and AdamW state), and step k of seed s draws the same prompts and rollout
 * seed in every arm. The results so far are rewritten to {@link #PARTIAL} after every run.
 *
 * A run is determined by its config (mode, range, seed; the rest is shared), up to float rounding in libtorch, so
 * a run needed twice (a sweep candidate that is also the paper preset or the pick, on the sweep's seed) is run once
 * and reported under both names.
 */
public final class Experiment {
    public static final List<String> SETTINGS = List.of("paper", "tuned");
    private static final List<LossMode> MODES = List.of(LossMode.GSPO, LossMode.GSPO_TOKEN, LossMode.GRPO);
    /** The results so far, in the work directory, rewritten after every run: what {@code --resume-from} reads. */
    public static final String PARTIAL = "results-partial.json";

    private final ExperimentConfig config;
    private final PrintStream log;
    private final String commandLine;
    private final Map<String, RunResult> done = new HashMap<>();
    private final Map<Long, WarmStart.Result> warmStarts = new LinkedHashMap<>();
    private final ExperimentResult earlier;
    private ArmRunner runner;
    private long started;
    private Sweep sweep = new Sweep(List.of());
    private List<Arm> arms = List.of();
    private final List<RunResult> runs = new ArrayList<>();

    public Experiment(ExperimentConfig config, PrintStream log, String commandLine) {
        this(config, log, commandLine, null);
    }

    /**
     * An experiment that continues {@code earlier} (a {@link #PARTIAL} file of the same settings): its warm starts
     * (when their checkpoints are still there) and its finished runs are taken as they are, the rest is run.
     */
    public Experiment(ExperimentConfig config, PrintStream log, String commandLine, ExperimentResult earlier) {
        this.config = config;
        this.log = log;
        this.commandLine = commandLine;
        this.earlier = earlier;
        if (earlier != null) {
            // runs are keyed by arm, seed and step count, so only the seeds and the step counts may change
            ExperimentConfig before = earlier.config().withPaths(config.out(), config.workDir());
            if (!sameTraining(before, config)) {
                throw new IllegalArgumentException(
                        "the results to resume from were run with other settings: " + before + " vs now " + config);
            }
            for (WarmStart.Result w : earlier.warmStarts()) {
                if (w != null && w.seed() != null && java.nio.file.Files.isDirectory(w.modelDir())) {
                    warmStarts.put(w.seed(), w);
                }
            }
            List<RunResult> finished = new ArrayList<>(earlier.runs());
            earlier.sweep().candidates().forEach(c -> finished.add(c.run()));
            finished.forEach(r -> done.put(key(r.arm(), r.seed(), r.steps().size()), r));
            log.printf(
                    "experiment: resuming: %d warm start(s) and %d run(s) already done%n",
                    warmStarts.size(), done.size());
        }
    }

    /** Whether two configs train alike but for the number of seeds and of steps. */
    private static boolean sameTraining(ExperimentConfig a, ExperimentConfig b) {
        return a.withSeedsAndSteps(b.seeds(), b.steps(), b.sweepSteps()).equals(b);
    }

    public ExperimentResult run() {
        started = System.nanoTime();
        runner = new ArmRunner(config, config.workDir().resolve("runs"), log);

        long sweepSeed = config.firstSeed();
        List<RunResult> swept = new ArrayList<>();
        for (Arm arm : sweepArms()) {
            swept.add(runOnce(arm, sweepSeed, config.sweepStepCount(), "sweep"));
        }
        sweep = Sweep.of(swept);
        log.printf(
                "experiment: tuned ranges: gspo %s, grpo %s%n",
                text(sweep.tuned(LossMode.GSPO)), text(sweep.tuned(LossMode.GRPO)));

        List<Arm> chosen = new ArrayList<>();
        for (String setting : SETTINGS) {
            for (LossMode mode : MODES) {
                chosen.add(new Arm(mode, setting, setting.equals("paper") ? mode.paperClipRange() : sweep.tuned(mode)));
            }
        }
        arms = chosen;
        for (long seed : config.seedList()) {
            for (Arm arm : arms) {
                runs.add(runOnce(arm, seed, config.steps(), "main"));
                savePartial();
            }
        }
        return result();
    }

    /** The results so far (all of them once {@link #run} returns). */
    private ExperimentResult result() {
        List<WarmStart.Result> warm = List.copyOf(warmStarts.values());
        double r0 = runs.stream()
                .mapToDouble(r -> r.steps().getFirst().rewardMean())
                .average()
                .orElse(Double.NaN);
        double before = earlier == null ? 0 : earlier.wallSeconds();
        return new ExperimentResult(
                config,
                warm.isEmpty() ? null : warm.getFirst(),
                sweep,
                arms,
                runs,
                r0,
                r0 + config.rewardGain(),
                done.size(),
                before + (System.nanoTime() - started) / 1e9,
                commandLine,
                java.time.LocalDate.now().toString(),
                warm);
    }

    /** The warm start of {@code seed}'s runs, run the first time a run of that seed needs it. */
    private WarmStart.Result warmStart(long seed) {
        long s = config.warmStartSeed(seed);
        WarmStart.Result known = warmStarts.get(s);
        if (known != null) {
            return known;
        }
        log.printf("experiment: warm start of seed %d (at most %d supervised steps)%n", s, config.sftSteps());
        WarmStart.Result w = WarmStart.run(config, s, config.workDir().resolve("warm-start-s" + s), log);
        log.printf(
                Locale.ROOT,
                "experiment: warm start of seed %d done in %.0f s: %d steps (%s), held-out accuracy %.3f (%s)%n",
                s,
                w.wallSeconds(),
                w.steps(),
                w.stoppedBecause(),
                w.heldOut(),
                w.modelDir());
        warmStarts.put(s, w);
        savePartial();
        return w;
    }

    private List<Arm> sweepArms() {
        List<Arm> arms = new ArrayList<>();
        config.gspoSweep().forEach(e -> arms.add(new Arm(LossMode.GSPO, "sweep", Arm.scaledRange(LossMode.GSPO, e))));
        config.grpoSweep().forEach(e -> arms.add(new Arm(LossMode.GRPO, "sweep", Arm.scaledRange(LossMode.GRPO, e))));
        return arms;
    }

    private static String key(Arm arm, long seed, int steps) {
        return arm.runKey() + "#" + seed + "#" + steps;
    }

    private RunResult runOnce(Arm arm, long seed, int steps, String phase) {
        String key = key(arm, seed, steps);
        RunResult known = done.get(key);
        if (known != null) {
            log.printf("  %s %s %s seed %d: same run as before, reused%n", phase, arm.label(), arm.clipText(), seed);
            return known.as(arm);
        }
        WarmStart.Result warm = warmStart(seed);
        log.printf(
                "  %s %s %s seed %d, %d steps (run %d)%n",
                phase, arm.label(), arm.clipText(), seed, steps, done.size() + 1);
        RunResult r = runner.run(arm, seed, warm.modelDir(), steps);
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
        if (phase.equals("sweep")) {
            // the sweep's runs so far, so that a resumed experiment finds them
            List<RunResult> swept = new ArrayList<>(
                    sweep.candidates().stream().map(Sweep.Candidate::run).toList());
            swept.add(r);
            sweep = Sweep.of(swept);
            savePartial();
        }
        return r;
    }

    /** Writes the results so far to {@link #PARTIAL} in the work directory (cheap: a few MB of JSON at most). */
    private void savePartial() {
        ResultsFile.write(result(), config.workDir().resolve(PARTIAL));
    }

    private static String text(ClipRange c) {
        return String.format(Locale.ROOT, "[%.2g, %.2g]", c.low(), c.high());
    }
}
