package dev.gspo.experiments;

import dev.gspo.common.objective.LossMode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The MoE experiment, the paper's third claim (docs/ALGORITHM.md §14, claim 3; routing replay: §11): GSPO trains an
 * MoE policy stably without routing replay, GRPO needs it, most of all where routing moves a lot between π_old and
 * π_θ.
 *
 * <pre>
 *   1. one warm start, from modelSeed (with a base: the base's, e.g. the main job's stop at a target accuracy,
 *      with the built-in qwen3_moe policy "moe")                                                 → model dir M
 *   2. calibration on the first seed: GSPO, no replay, at each lr ∈ lrSweep                     → lr* ({@link LrSweep})
 *   3. for each seed s, each regime, each arm, a run from M with the same prompts, rollout seeds and budget:
 *        regimes: calibrated (lr*, miniBatches)  and  harsher (lr* · harshLrFactor, harshMiniBatches)
 *        arms:    gspo, no replay  (paper range 3e-4 / 4e-4)
 *                 grpo, no replay  (paper range 0.2 / 0.27)
 *                 grpo, replay     (paper range 0.2 / 0.27; π_θ uses π_old's experts)
 * </pre>
 *
 * Runs are seed-major (seed 1's runs of both regimes, then seed 2's, …), so results that stop early still hold both
 * regimes; the results so far are rewritten to {@link Experiment#PARTIAL} after every run, and
 * {@code --resume-from} continues them. Each run records, per step, the share of (token, sparse layer) pairs whose
 * expert set moved between π_old and π_θ ({@code StepMetrics.expertChangeShare}); with replay it is what π_θ would
 * have chosen, not what it used.
 */
public final class MoeExperiment {
    /** The setting of the arms without routing replay at the calibrated learning rate. */
    public static final String FREE = "moe";
    /** The setting of the arm with routing replay ({@link Arm#routingReplay()}) at the calibrated learning rate. */
    public static final String REPLAY = "moe-replay";
    /** The harsher regime's arms without routing replay. */
    public static final String HARSH = "moe-harsh";
    /** The harsher regime's arm with routing replay. */
    public static final String HARSH_REPLAY = "moe-harsh-replay";
    /** The calibration runs' setting. */
    public static final String CALIBRATION = "lr-sweep";

    /** A regime: its name in the report and the settings of its arms. */
    public enum Regime {
        CALIBRATED("calibrated", FREE, REPLAY),
        HARSH("harsher", MoeExperiment.HARSH, HARSH_REPLAY);

        private final String title;
        private final String free;
        private final String replay;

        Regime(String title, String free, String replay) {
            this.title = title;
            this.free = free;
            this.replay = replay;
        }

        public String title() {
            return title;
        }

        /** The three arms, in table order: gspo, grpo, grpo + replay. */
        public List<Arm> arms() {
            return List.of(
                    new Arm(LossMode.GSPO, free, LossMode.GSPO.paperClipRange()),
                    new Arm(LossMode.GRPO, free, LossMode.GRPO.paperClipRange()),
                    new Arm(LossMode.GRPO, replay, LossMode.GRPO.paperClipRange()));
        }

        /** The regime an arm belongs to. */
        public static Regime of(Arm arm) {
            return arm.setting().startsWith(MoeExperiment.HARSH) ? HARSH : CALIBRATED;
        }
    }

    private final ExperimentConfig config;
    private final PrintStream log;
    private final String commandLine;
    private final ExperimentResult earlier;
    private final Map<String, RunResult> done = new HashMap<>();
    private final Map<Long, WarmStart.Result> warmStarts = new LinkedHashMap<>();
    private final List<RunResult> runs = new ArrayList<>();
    private final List<Double> sweptLrs = new ArrayList<>();
    private final List<RunResult> sweptRuns = new ArrayList<>();
    private LrSweep lrSweep = new LrSweep(List.of());
    private List<Arm> arms = List.of();
    private long started;

    public MoeExperiment(ExperimentConfig config, PrintStream log, String commandLine) {
        this(config, log, commandLine, null);
    }

    /**
     * An experiment that continues {@code earlier} (a {@link Experiment#PARTIAL} file of the same settings): its warm
     * starts (when their checkpoints are still there), its calibration runs and its finished runs are kept.
     */
    public MoeExperiment(ExperimentConfig config, PrintStream log, String commandLine, ExperimentResult earlier) {
        this.config = config;
        this.log = log;
        this.commandLine = commandLine;
        this.earlier = earlier;
        if (earlier != null) {
            // runs are keyed by arm, lr, minibatches, seed and step count: only the seeds and step counts may change
            ExperimentConfig before = earlier.config()
                    .withPaths(config.out(), config.workDir())
                    .withSeedsAndSteps(config.seeds(), config.steps(), config.sweepSteps());
            if (!before.equals(config)) {
                throw new IllegalArgumentException(
                        "the results to resume from were run with other settings: " + before + " vs now " + config);
            }
            for (WarmStart.Result w : earlier.warmStarts()) {
                if (w != null && w.seed() != null && java.nio.file.Files.isDirectory(w.modelDir())) {
                    warmStarts.put(w.seed(), w);
                }
            }
            MoeSpecView m = new MoeSpecView(config);
            for (LrSweep.Candidate c : earlier.lrSweep().candidates()) {
                done.put(key(c.run().arm(), c.learningRate(), config.miniBatches(), c.run()), c.run());
            }
            double lr = earlier.calibratedLr();
            for (RunResult r : earlier.runs()) {
                Regime regime = Regime.of(r.arm());
                done.put(key(r.arm(), m.lr(regime, lr), m.miniBatches(regime), r), r);
            }
            log.printf(
                    "moe experiment: resuming: %d warm start(s) and %d run(s) already done%n",
                    warmStarts.size(), done.size());
        }
    }

    /** The calibrated regime's three arms, in table order (the harsher regime's: {@link Regime#arms()}). */
    public static List<Arm> arms() {
        return Regime.CALIBRATED.arms();
    }

    /** The regimes this configuration runs. */
    public static List<Regime> regimes(ExperimentConfig config) {
        return config.moeSpec().harsh() ? List.of(Regime.CALIBRATED, Regime.HARSH) : List.of(Regime.CALIBRATED);
    }

    public ExperimentResult run() {
        started = System.nanoTime();
        ExperimentConfig.MoeSpec m = config.moeSpec();
        long first = config.firstSeed();
        int sweepSteps = m.lrSweepSteps() == null ? config.steps() : m.lrSweepSteps();
        Arm calibration = new Arm(LossMode.GSPO, CALIBRATION, LossMode.GSPO.paperClipRange());
        for (double lr : m.lrSweep()) {
            log.printf(Locale.ROOT, "moe experiment: calibration, lr %s%n", Arm.plain(lr));
            sweptLrs.add(lr);
            sweptRuns.add(runOnce(calibration, first, lr, config.miniBatches(), sweepSteps));
            lrSweep = LrSweep.of(sweptLrs, sweptRuns);
            savePartial();
        }
        double lr = lrSweep.chosen(config.learningRate());
        MoeSpecView view = new MoeSpecView(config);
        log.printf(
                Locale.ROOT,
                "moe experiment: calibrated lr %s%s%n",
                Arm.plain(lr),
                m.harsh()
                        ? String.format(
                                Locale.ROOT,
                                "; harsher regime: lr %s, %d minibatches",
                                Arm.plain(view.lr(Regime.HARSH, lr)),
                                view.miniBatches(Regime.HARSH))
                        : "");
        List<Arm> all = new ArrayList<>();
        regimes(config).forEach(r -> all.addAll(r.arms()));
        arms = all;
        for (long seed : config.seedList()) {
            for (Regime regime : regimes(config)) {
                for (Arm arm : regime.arms()) {
                    runs.add(runOnce(arm, seed, view.lr(regime, lr), view.miniBatches(regime), config.steps()));
                    savePartial();
                }
            }
        }
        return result();
    }

    /** The learning rate and minibatches of each regime. */
    private record MoeSpecView(ExperimentConfig config) {
        double lr(Regime regime, double calibrated) {
            return regime == Regime.HARSH ? calibrated * config.moeSpec().harshLrFactor() : calibrated;
        }

        int miniBatches(Regime regime) {
            return regime == Regime.HARSH ? config.moeSpec().harshMiniBatches() : config.miniBatches();
        }
    }

    /** What determines a run's outcome: mode, range, replay, lr, minibatches, seed and steps (not the setting's name). */
    private static String key(Arm arm, double lr, int miniBatches, long seed, int steps) {
        return arm.runKey() + "@lr" + lr + "x" + miniBatches + "#" + seed + "#" + steps;
    }

    private static String key(Arm arm, double lr, int miniBatches, RunResult r) {
        return key(arm, lr, miniBatches, r.seed(), r.steps().size());
    }

    private RunResult runOnce(Arm arm, long seed, double lr, int miniBatches, int steps) {
        String key = key(arm, lr, miniBatches, seed, steps);
        RunResult known = done.get(key);
        if (known != null) {
            log.printf(
                    Locale.ROOT,
                    "  %s lr %s × %d minibatches seed %d: same run as before, reused%n",
                    arm.legend(),
                    Arm.plain(lr),
                    miniBatches,
                    seed);
            return known.as(arm);
        }
        WarmStart.Result warm = warmStart(seed);
        log.printf(
                Locale.ROOT,
                "  %s (%s) lr %s × %d minibatches seed %d, %d steps (run %d)%n",
                arm.legend(),
                arm.setting(),
                Arm.plain(lr),
                miniBatches,
                seed,
                steps,
                done.size() + 1);
        ExperimentConfig trained = config.withTraining(lr, miniBatches);
        String dir = String.format(Locale.ROOT, "runs-lr%s-mb%d", Arm.plain(lr), miniBatches);
        RunResult r = new ArmRunner(trained, config.workDir().resolve(dir), log).run(arm, seed, warm.modelDir(), steps);
        log.printf(
                Locale.ROOT,
                "  → held-out %.3f → %.3f, final reward %.3f, clip tok %.4f, experts changed %.4f, skipped %d, %.0f s%n",
                r.heldOutBefore(),
                r.heldOutAfter(),
                RunMeasures.finalReward(r, config.window()),
                RunMeasures.clipToken(r),
                RunMeasures.expertChange(r),
                RunMeasures.skippedUpdates(r),
                r.wallSeconds());
        done.put(key, r);
        return r;
    }

    /**
     * The warm start every run starts from, run the first time a run needs it: one for all seeds, from
     * {@code modelSeed} (with a base, the base's warm start with that seed and its stop rule), so that the seeds of an
     * arm differ in what RL samples, not in where it starts, and the budget goes to the runs.
     */
    private WarmStart.Result warmStart(long seed) {
        long s = config.modelSeed();
        WarmStart.Result known = warmStarts.get(s);
        if (known != null) {
            return known;
        }
        log.printf(
                "moe experiment: warm start of seed %d, built-in %s model (at most %d supervised steps)%n",
                s, config.modelName(), config.sftSteps());
        WarmStart.Result w = WarmStart.run(config, s, config.workDir().resolve("warm-start-s" + s), log);
        log.printf(
                Locale.ROOT,
                "moe experiment: warm start of seed %d done in %.0f s: %d steps (%s), held-out accuracy %.3f (%s)%n",
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

    /** The results so far (all of them once {@link #run} returns). */
    private ExperimentResult result() {
        List<WarmStart.Result> warm = List.copyOf(warmStarts.values());
        double r0 = runs.stream()
                .filter(r -> Regime.of(r.arm()) == Regime.CALIBRATED)
                .mapToDouble(r -> r.steps().getFirst().rewardMean())
                .average()
                .orElse(Double.NaN);
        double before = earlier == null ? 0 : earlier.wallSeconds();
        return new ExperimentResult(
                config,
                warm.isEmpty() ? null : warm.getFirst(),
                new Sweep(List.of()),
                arms,
                runs,
                r0,
                r0 + config.rewardGain(),
                done.size(),
                before + (System.nanoTime() - started) / 1e9,
                commandLine,
                java.time.LocalDate.now().toString(),
                warm,
                lrSweep);
    }

    /** Writes the results so far to {@link Experiment#PARTIAL} in the work directory. */
    private void savePartial() {
        ResultsFile.write(result(), config.workDir().resolve(Experiment.PARTIAL));
    }
}
