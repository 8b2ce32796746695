package dev.gspo.experiments;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./gspo experiment}: runs the {@link Experiment} and writes {@code docs/EXPERIMENTS.md} with its plots. No
 * Spring context: the domain classes are plain Java. Every option left out takes the value of the preset: a JSON file
 * under {@code presets/} ({@code dense}, {@code dense-quick}, {@code moe}, {@code moe-quick}, chosen by {@code --moe}
 * and {@code --quick}) or the file {@code --preset} names.
 */
@Command(
        name = "./gspo experiment",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        version = "gspo-java experiment 0.1.0",
        description =
                "Trains gspo, gspo-token and grpo on the main job's set-up (config/main-job.json), each seed from its own warm start, with the same prompts and rollout seeds, "
                        + "under the paper's clip ranges and under ranges tuned by a sweep, and writes a markdown report with "
                        + "plots (reward, held-out accuracy and clip fraction vs step).")
public final class ExperimentCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "a tiny run of every part (~1 min): 1 seed × 4 steps, small eval")
    boolean quick;

    @Option(
            names = "--moe",
            description = "the MoE experiment instead (claim 3): the built-in qwen3_moe policy, GSPO "
                    + "without routing replay vs GRPO without and with it on the main job's task, after a "
                    + "learning-rate calibration, at the calibrated lr and in a harsher regime; writes the MoE "
                    + "section of the report (with --quick: seconds)")
    boolean moe;

    @Option(
            names = "--preset",
            description = "a preset JSON file (every setting; see experiments/src/main/resources/presets/dense.json) "
                    + "instead of the built-in one; the options below still override it")
    Path preset;

    @Option(
            names = "--out",
            description = "the markdown file (plots go to experiments/ beside it); " + "default docs/EXPERIMENTS.md")
    Path out = Path.of("docs/EXPERIMENTS.md");

    @Option(
            names = "--work-dir",
            description = "keep the warm start and the runs' checkpoints here "
                    + "(default: a temporary directory, deleted at the end)")
    Path workDir;

    @Option(names = "--seeds", description = "seeds per arm (default 5; quick 1)")
    Integer seeds;

    @Option(names = "--first-seed", description = "the first seed (default 1)")
    Long firstSeed;

    @Option(names = "--steps", description = "GSPO steps per run (default 100; quick 4)")
    Integer steps;

    @Option(names = "--prompts", description = "prompts per step (default: the main job's, 64; quick 8)")
    Integer prompts;

    @Option(names = "--group-size", description = "samples per prompt (default: the main job's, 8; quick 4)")
    Integer groupSize;

    @Option(names = "--mini-batches", description = "updates per rollout batch (default: the main job's, 2)")
    Integer miniBatches;

    @Option(names = "--lr", description = "learning rate (default: the main job's, 2e-4)")
    Double lr;

    @Option(names = "--temperature", description = "sampling temperature (default: the main job's, 0.7)")
    Double temperature;

    @Option(names = "--max-new-tokens", description = "default: the main job's, 6")
    Integer maxNewTokens;

    @Option(
            names = "--model-seed",
            description =
                    "seed of the built-in model and the warm start when one warm start serves every seed (the MoE experiment; default 1)")
    Long modelSeed;

    @Option(
            names = "--sft-steps",
            description =
                    "the most warm-start steps (default: the main job's, 1500, stopped at its target accuracy; quick 40)")
    Integer sftSteps;

    @Option(names = "--sft-batch-size", description = "default: the main job's, 64; quick 32")
    Integer sftBatchSize;

    @Option(names = "--sft-lr", description = "default: the main job's, 3e-3")
    Double sftLr;

    @Option(names = "--eval-every", description = "held-out accuracy every N steps (default 25; quick 2)")
    Integer evalEvery;

    @Option(names = "--eval-size", description = "held-out problems (default: the main job's, 400; quick 32)")
    Integer evalSize;

    @Option(names = "--window", description = "w: steps of the final-reward and threshold means (default 8; quick 2)")
    Integer window;

    @Option(names = "--reward-gain", description = "δ: the threshold is the step-1 reward + δ (default 0.03)")
    Double rewardGain;

    @Option(names = "--gspo-sweep", split = ",", description = "GSPO ε_low candidates (default 3e-4,3e-3,3e-2)")
    List<Double> gspoSweep;

    @Option(names = "--grpo-sweep", split = ",", description = "GRPO ε_low candidates (default 0.1,0.2,0.3)")
    List<Double> grpoSweep;

    @Option(names = "--sweep-steps", description = "GSPO steps of each sweep run (default 50; quick 2)")
    Integer sweepSteps;

    @Option(
            names = "--no-sweep",
            description = "skip the sweep: the tuned setting then uses the paper's ranges (--moe: no learning-rate "
                    + "calibration, the runs use --lr)")
    boolean noSweep;

    @Option(
            names = "--lr-sweep",
            split = ",",
            description = "--moe: the learning rates of the calibration (GSPO, first seed); the best held-out gain "
                    + "is the calibrated lr (default: the preset's, 3e-4,1e-4,3e-5,1e-5)")
    List<Double> lrSweep;

    @Option(names = "--lr-sweep-steps", description = "--moe: steps of each calibration run (default: the preset's)")
    Integer lrSweepSteps;

    @Option(
            names = "--harsh-mini-batches",
            description = "--moe: minibatches per step of the harsher regime, where routing moves more between "
                    + "π_old and π_θ (default 8; 0: no harsher regime)")
    Integer harshMiniBatches;

    @Option(
            names = "--harsh-lr-factor",
            description = "--moe: the harsher regime's learning rate over the calibrated one (default 3)")
    Double harshLrFactor;

    @Option(
            names = "--report-from",
            description =
                    "train nothing: render the report again from a results.json "
                            + "written by an earlier experiment (its command line is kept); --window and --reward-gain may change")
    Path reportFrom;

    @Option(
            names = "--resume-from",
            description = "continue an experiment that stopped: the " + Experiment.PARTIAL + " in its --work-dir "
                    + "(give the same options and --work-dir); its warm starts and finished runs are kept")
    Path resumeFrom;

    private final PrintStream log;
    private final String commandLine;

    ExperimentCommand(PrintStream log, String commandLine) {
        this.log = log;
        this.commandLine = commandLine;
    }

    public static void main(String[] args) {
        oneNativeThread();
        quietLogs();
        System.exit(execute(System.out, args));
    }

    /** Parses {@code args}, runs the experiment and returns the exit code (0 = report written). */
    public static int execute(PrintStream log, String... args) {
        // a resumed experiment has the runs of a fresh one: the command that reproduces it has no --resume-from
        // and its paths as given from the repository's root (./gspo passes them absolute)
        Path root = Path.of("").toAbsolutePath();
        List<String> kept = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--resume-from")) {
                i++;
            } else if (!args[i].startsWith("--resume-from=")) {
                boolean path =
                        i > 0 && List.of("--out", "--work-dir", "--preset").contains(args[i - 1]);
                Path given = path ? Path.of(args[i]) : null;
                kept.add(
                        given != null && given.isAbsolute() && given.startsWith(root)
                                ? root.relativize(given).toString()
                                : args[i]);
            }
        }
        String line = ("./gspo experiment " + String.join(" ", kept)).strip();
        return new CommandLine(new ExperimentCommand(log, line)).execute(args);
    }

    @Override
    public Integer call() throws IOException {
        if (reportFrom != null) {
            ExperimentResult earlier = ResultsFile.read(reportFrom);
            ExperimentConfig c = earlier.config();
            ExperimentResult result =
                    earlier.withConfig(c.withAnalysis(or(window, c.window()), or(rewardGain, c.rewardGain()), out));
            report(result);
            return 0;
        }
        if (moe && !noSweep && (gspoSweep != null || grpoSweep != null)) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "--moe runs no sweep: drop the sweep options");
        }
        boolean temporary = workDir == null;
        Path work = temporary ? Files.createTempDirectory("gspo-experiment-") : workDir;
        try {
            ExperimentConfig config = config(work);
            ExperimentResult earlier = resumeFrom == null ? null : ResultsFile.read(resumeFrom);
            ExperimentResult result = moe
                    ? new MoeExperiment(config, log, commandLine, earlier).run()
                    : new Experiment(config, log, commandLine, earlier).run();
            ResultsFile.write(result, config.plotsDir().resolve(moe ? MoeReport.RESULTS : ResultsFile.NAME));
            report(result);
            return 0;
        } finally {
            if (temporary) {
                deleteTree(work);
            }
        }
    }

    private void report(ExperimentResult result) {
        boolean moeResult = "moe".equals(result.config().modelName());
        Path md = moeResult ? MoeReport.write(result) : ExperimentReport.write(result);
        log.printf(
                "experiment: report written to %s (plots and %s in %s)%n",
                md,
                moeResult ? MoeReport.RESULTS : ResultsFile.NAME,
                result.config().plotsDir());
    }

    ExperimentConfig config(Path work) {
        ExperimentConfig p = preset != null
                ? ExperimentConfig.preset(preset, out, work)
                : moe
                        ? (quick ? ExperimentConfig.moeQuick(out, work) : ExperimentConfig.moe(out, work))
                        : quick ? ExperimentConfig.quick(out, work) : ExperimentConfig.full(out, work);
        return new ExperimentConfig(
                or(seeds, p.seeds()),
                or(firstSeed, p.firstSeed()),
                or(steps, p.steps()),
                or(prompts, p.promptsPerStep()),
                or(groupSize, p.groupSize()),
                or(miniBatches, p.miniBatches()),
                or(lr, p.learningRate()),
                or(temperature, p.temperature()),
                or(maxNewTokens, p.maxNewTokens()),
                or(modelSeed, p.modelSeed()),
                or(sftSteps, p.sftSteps()),
                or(sftBatchSize, p.sftBatchSize()),
                or(sftLr, p.sftLearningRate()),
                or(evalEvery, p.evalEvery()),
                or(evalSize, p.evalSize()),
                or(window, p.window()),
                or(rewardGain, p.rewardGain()),
                noSweep ? List.of() : or(gspoSweep, p.gspoSweep()),
                noSweep ? List.of() : or(grpoSweep, p.grpoSweep()),
                out,
                work,
                p.model(),
                p.base(),
                p.baseConfig(),
                sweepSteps != null ? sweepSteps : p.sweepSteps(),
                moeSpec(p));
    }

    /** The preset's MoE settings with the options given; --no-sweep drops the learning-rate calibration. */
    private ExperimentConfig.MoeSpec moeSpec(ExperimentConfig p) {
        if (!moe && (lrSweep != null || lrSweepSteps != null || harshMiniBatches != null || harshLrFactor != null)) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "--lr-sweep, --lr-sweep-steps, --harsh-mini-batches and --harsh-lr-factor belong to --moe");
        }
        ExperimentConfig.MoeSpec m = p.moeSpec();
        if (!moe && p.moe() == null) {
            return null;
        }
        return new ExperimentConfig.MoeSpec(
                noSweep ? List.of() : or(lrSweep, m.lrSweep()),
                or(lrSweepSteps, m.lrSweepSteps()),
                or(harshMiniBatches, m.harshMiniBatches()),
                or(harshLrFactor, m.harshLrFactor()));
    }

    /**
     * One intra-op and one inter-op PyTorch thread unless the JVM was told otherwise. On a small shared machine
     * libtorch's default (one OpenMP thread per core) oversubscribes the cores and its spinning threads slow every
     * op down, with identical results either way (measurements: docs/BENCHMARKS.md, "Threads under load"). Must
     * run before the engine loads.
     */
    private static void oneNativeThread() {
        for (String property : List.of("ai.djl.pytorch.num_threads", "ai.djl.pytorch.num_interop_threads")) {
            if (System.getProperty(property) == null) {
                System.setProperty(property, "1");
            }
        }
    }

    /** DJL and the native engine log at DEBUG without a Spring context; the command prints its own progress. */
    private static void quietLogs() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
        ((Logger) LoggerFactory.getLogger("ai.djl")).setLevel(Level.ERROR);
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
