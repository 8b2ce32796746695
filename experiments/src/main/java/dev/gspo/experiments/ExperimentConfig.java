package dev.gspo.experiments;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.common.objective.ClipRange;
import dev.gspo.common.objective.LossMode;
import dev.gspo.common.task.AdditionSpec;
import dev.gspo.common.train.OldLogprobs;
import dev.gspo.optimizer.runconfig.CheckpointSpec;
import dev.gspo.optimizer.runconfig.EvalSpec;
import dev.gspo.optimizer.runconfig.InvalidRunConfigException;
import dev.gspo.optimizer.runconfig.ModelSpec;
import dev.gspo.optimizer.runconfig.ObjectiveSpec;
import dev.gspo.optimizer.runconfig.OptimizerSpec;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import dev.gspo.optimizer.runconfig.SamplingSpec;
import dev.gspo.optimizer.runconfig.WarmStartSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Every knob of the experiment ({@code ./gspo experiment --help} names the options). Each run of each arm uses the
 * same {@link #runConfig training settings}; only the loss mode, the clip range and the seed differ.
 *
 * @param seeds          seeds per arm: {@code firstSeed, firstSeed + 1, …}
 * @param steps          GSPO steps per run (after the shared warm start)
 * @param modelSeed      seed of the built-in model's initial weights and of the warm start's batches
 * @param sftSteps       supervised warm-start steps, run once; every run starts from its result
 * @param window         w: final reward = mean training reward of the last w steps; the threshold test uses the
 *                       trailing w-step mean; the reward plots show it too
 * @param rewardGain     δ: the reward threshold is r₀ + δ, r₀ = the mean step-1 reward over every run
 * @param gspoSweep      ε_low candidates of the GSPO sweep (ε_high scaled, see {@link Arm#scaledRange})
 * @param grpoSweep      ε_low candidates of the GRPO sweep
 * @param out            the markdown file; plots go to {@code experiments/} beside it
 * @param workDir        where the warm start and the runs keep their checkpoints
 * @param model          the built-in model every run starts from: {@code builtin} (tiny, dense; null in results
 *                       written before the MoE experiment existed) or {@code moe} (the MoE experiment's qwen3_moe)
 * @param base           a run-config file the runs take their settings from, e.g. {@code config/main-job.json} (the
 *                       main job's), found in the working directory or the nearest parent that has it; null: the
 *                       flat settings above are the whole set-up (the MoE experiment). With a base, a flat setting
 *                       a preset leaves out is the base's, one it sets overrides the base's, and each seed has its
 *                       own warm start (the base's, seed s)
 * @param baseConfig     the base's content as read (kept in results.json, so a report renders without the file)
 * @param sweepSteps     GSPO steps of each sweep run (null: {@code steps})
 * @param moe            the MoE experiment's learning-rate calibration and harsher regime (null: neither; the dense
 *                       experiment ignores it)
 */
public record ExperimentConfig(
        int seeds,
        long firstSeed,
        int steps,
        int promptsPerStep,
        int groupSize,
        int miniBatches,
        double learningRate,
        double temperature,
        int maxNewTokens,
        long modelSeed,
        int sftSteps,
        int sftBatchSize,
        double sftLearningRate,
        int evalEvery,
        int evalSize,
        int window,
        double rewardGain,
        List<Double> gspoSweep,
        List<Double> grpoSweep,
        Path out,
        Path workDir,
        String model,
        String base,
        RunConfig baseConfig,
        Integer sweepSteps,
        MoeSpec moe) {

    /** Fields a preset may leave out. */
    private static final List<String> OPTIONAL = List.of("out", "workDir", "base", "baseConfig", "sweepSteps", "moe");

    /**
     * The MoE experiment's calibration and its harsher regime ({@link MoeExperiment}).
     *
     * <pre>
     *   calibration:  GSPO (no replay) on the first seed at each lr ∈ lrSweep, lrSweepSteps steps each
     *                 lr* = argmax (held-out after − held-out before), ties: the higher late reward
     *   calibrated:   every arm and seed at lr*,                    miniBatches minibatches per step
     *   harsher:      every arm and seed at lr* · harshLrFactor,   harshMiniBatches minibatches per step
     * </pre>
     *
     * @param lrSweep          candidate learning rates; empty: no calibration, lr* = {@code learningRate}
     * @param lrSweepSteps     steps of a calibration run (null: {@code steps})
     * @param harshMiniBatches minibatches per step of the harsher regime; 0: no harsher regime
     * @param harshLrFactor    the harsher regime's learning rate over lr* (≥ 1)
     */
    public record MoeSpec(List<Double> lrSweep, Integer lrSweepSteps, int harshMiniBatches, double harshLrFactor) {
        public MoeSpec {
            lrSweep = lrSweep == null ? List.of() : List.copyOf(lrSweep);
            if (lrSweep.stream().anyMatch(lr -> !(lr > 0 && lr < 1))) {
                throw new IllegalArgumentException(
                        "MoE lrSweep: every learning rate must be in (0, 1), got " + lrSweep);
            }
            if (lrSweepSteps != null && lrSweepSteps < 1) {
                throw new IllegalArgumentException("MoE lrSweepSteps must be ≥ 1, got " + lrSweepSteps);
            }
            if (harshMiniBatches < 0) {
                throw new IllegalArgumentException("MoE harshMiniBatches must be ≥ 0, got " + harshMiniBatches);
            }
            if (!(harshLrFactor >= 1)) {
                throw new IllegalArgumentException("MoE harshLrFactor must be ≥ 1, got " + harshLrFactor);
            }
        }

        /** Whether the experiment has a harsher regime. */
        public boolean harsh() {
            return harshMiniBatches > 0;
        }
    }

    /** The flat settings a base supplies when a preset leaves them out: preset field → run-config path. */
    private static final java.util.Map<String, String> FROM_BASE = java.util.Map.ofEntries(
            java.util.Map.entry("promptsPerStep", "sampling.promptsPerStep"),
            java.util.Map.entry("groupSize", "sampling.groupSize"),
            java.util.Map.entry("miniBatches", "optimizer.miniBatches"),
            java.util.Map.entry("learningRate", "optimizer.learningRate"),
            java.util.Map.entry("temperature", "sampling.temperature"),
            java.util.Map.entry("maxNewTokens", "sampling.maxNewTokens"),
            java.util.Map.entry("modelSeed", "seed"),
            java.util.Map.entry("sftSteps", "warmStart.steps"),
            java.util.Map.entry("sftBatchSize", "warmStart.batchSize"),
            java.util.Map.entry("sftLearningRate", "warmStart.learningRate"),
            java.util.Map.entry("evalEvery", "eval.every"),
            java.util.Map.entry("evalSize", "eval.size"),
            java.util.Map.entry("model", "model.source"));

    /** Reads presets strictly: a misspelt or missing field is an error, not a silent default. */
    private static final ObjectMapper PRESETS = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    public ExperimentConfig {
        gspoSweep = List.copyOf(gspoSweep);
        grpoSweep = List.copyOf(grpoSweep);
        if (seeds < 1 || steps < 1 || window < 1 || evalEvery < 1 || (sweepSteps != null && sweepSteps < 1)) {
            throw new IllegalArgumentException("seeds, steps, sweepSteps, window and evalEvery must be ≥ 1; got seeds "
                    + seeds + ", steps " + steps + ", sweepSteps " + sweepSteps + ", window " + window + ", evalEvery "
                    + evalEvery);
        }
        if (base != null && baseConfig == null) {
            throw new IllegalArgumentException("experiment base '" + base + "' given without its content");
        }
    }

    /**
     * The dense experiment ({@code presets/dense.json}): the main job's set-up ({@code "base": "config/main-job.json"}:
     * its task, model, seed-robust warm start and training settings), 5 seeds × 100 steps per arm, and a 50-step sweep
     * of clip ranges on the first seed.
     */
    public static ExperimentConfig full(Path out, Path workDir) {
        return preset("dense", out, workDir);
    }

    /** A run of every part in about a minute ({@code presets/dense-quick.json}): 1 seed × 4 steps, a two-point sweep. */
    public static ExperimentConfig quick(Path out, Path workDir) {
        return preset("dense-quick", out, workDir);
    }

    /**
     * The MoE experiment ({@link MoeExperiment}, {@code presets/moe.json}): the built-in qwen3_moe policy on the main
     * job's task and seed-robust warm start ({@code config/main-job.json}), a learning-rate calibration below the
     * old 3e-4 (GSPO, seed 1), then 3 seeds × 3 arms at the calibrated lr and in a harsher regime (8 minibatches,
     * 3 × the lr).
     */
    public static ExperimentConfig moe(Path out, Path workDir) {
        return preset("moe", out, workDir);
    }

    /**
     * The MoE experiment in seconds ({@code presets/moe-quick.json}): a 2-lr calibration, then 2 seeds × 2 steps of 4
     * prompts × 4 in both regimes.
     */
    public static ExperimentConfig moeQuick(Path out, Path workDir) {
        return preset("moe-quick", out, workDir);
    }

    /** A preset shipped with the experiments ({@code presets/<name>.json} on the classpath). */
    static ExperimentConfig preset(String name, Path out, Path workDir) {
        try (InputStream in = ExperimentConfig.class.getResourceAsStream("/presets/" + name + ".json")) {
            if (in == null) {
                throw new IllegalArgumentException("no experiment preset '" + name + "'");
            }
            return read(PRESETS.readTree(in), "preset '" + name + "'").withPaths(out, workDir);
        } catch (IOException e) {
            throw new UncheckedIOException("experiment preset '" + name + "' is not readable: " + e.getMessage(), e);
        }
    }

    /**
     * A preset from a JSON file: the fields of this record but {@code out} and {@code workDir} (see
     * {@code presets/dense.json}); every field is required, so a preset says everything it runs.
     */
    public static ExperimentConfig preset(Path file, Path out, Path workDir) {
        try {
            return read(PRESETS.readTree(file.toFile()), "preset " + file).withPaths(out, workDir);
        } catch (IOException e) {
            throw new UncheckedIOException("experiment preset " + file + " is not readable: " + e.getMessage(), e);
        }
    }

    /** Binds a preset after checking that it names every setting (all fields but {@code out} and {@code workDir}). */
    private static ExperimentConfig read(JsonNode json, String what) throws IOException {
        if (!json.isObject()) {
            throw new IllegalArgumentException("experiment " + what + " is not a JSON object");
        }
        ObjectNode preset = (ObjectNode) json.deepCopy();
        if (preset.hasNonNull("baseConfig")) {
            throw new IllegalArgumentException(
                    "experiment " + what + " sets baseConfig: name the run-config file in 'base' instead");
        }
        JsonNode baseName = preset.get("base");
        if (baseName != null && !baseName.isNull()) {
            if (!baseName.isTextual() || baseName.asText().isBlank()) {
                throw new IllegalArgumentException(
                        "experiment " + what + ": 'base' must name a run-config file, got " + baseName);
            }
            RunConfig base = readBase(baseName.asText());
            JsonNode tree = RunConfigJson.write(base);
            FROM_BASE.forEach((field, path) -> {
                if (!preset.has(field)) {
                    JsonNode v = tree.at("/" + path.replace('.', '/'));
                    preset.set(field, v);
                }
            });
            preset.set("baseConfig", tree);
        }
        List<String> missing = Arrays.stream(ExperimentConfig.class.getRecordComponents())
                .map(RecordComponent::getName)
                .filter(n -> !OPTIONAL.contains(n) && !preset.has(n))
                .toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("experiment " + what + " does not set " + missing);
        }
        return PRESETS.treeToValue(preset, ExperimentConfig.class);
    }

    /**
     * The run config a base names: {@code file} as given when it exists, else the nearest parent of the working
     * directory that has it (the tests run in {@code experiments/}, the script in the repository's root).
     */
    static RunConfig readBase(String file) {
        Path given = Path.of(file);
        Path found = null;
        if (given.isAbsolute() || java.nio.file.Files.isRegularFile(given)) {
            found = given;
        } else {
            for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
                if (java.nio.file.Files.isRegularFile(dir.resolve(file))) {
                    found = dir.resolve(file);
                    break;
                }
            }
        }
        if (found == null || !java.nio.file.Files.isRegularFile(found)) {
            throw new IllegalArgumentException(
                    "experiment base '" + file + "' not found in " + Path.of("").toAbsolutePath() + " or its parents");
        }
        try {
            RunConfig config = RunConfigJson.read(java.nio.file.Files.readString(found));
            List<String> problems = config.withDefaults().validate();
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(
                        "experiment base " + found + " is not a valid run config: " + problems);
            }
            if (config.resumeFrom() != null) {
                throw new IllegalArgumentException("experiment base " + found + " resumes (resumeFrom "
                        + config.resumeFrom() + "); " + "the experiment needs a run from the start");
            }
            return config.withDefaults();
        } catch (IOException e) {
            throw new UncheckedIOException("experiment base " + found + " is not readable: " + e.getMessage(), e);
        } catch (InvalidRunConfigException e) {
            throw new IllegalArgumentException(
                    "experiment base " + found + " is not a valid run config: " + e.getMessage(), e);
        }
    }

    /** The same settings, reported to {@code newOut} with runs kept in {@code newWorkDir}. */
    public ExperimentConfig withPaths(Path newOut, Path newWorkDir) {
        return new ExperimentConfig(
                seeds,
                firstSeed,
                steps,
                promptsPerStep,
                groupSize,
                miniBatches,
                learningRate,
                temperature,
                maxNewTokens,
                modelSeed,
                sftSteps,
                sftBatchSize,
                sftLearningRate,
                evalEvery,
                evalSize,
                window,
                rewardGain,
                gspoSweep,
                grpoSweep,
                newOut,
                newWorkDir,
                model,
                base,
                baseConfig,
                sweepSteps,
                moe);
    }

    /** The same settings with {@code newSeeds} seeds, {@code newSteps} steps and {@code newSweepSteps} sweep steps. */
    public ExperimentConfig withSeedsAndSteps(int newSeeds, int newSteps, Integer newSweepSteps) {
        return new ExperimentConfig(
                newSeeds,
                firstSeed,
                newSteps,
                promptsPerStep,
                groupSize,
                miniBatches,
                learningRate,
                temperature,
                maxNewTokens,
                modelSeed,
                sftSteps,
                sftBatchSize,
                sftLearningRate,
                evalEvery,
                evalSize,
                window,
                rewardGain,
                gspoSweep,
                grpoSweep,
                out,
                workDir,
                model,
                base,
                baseConfig,
                newSweepSteps,
                moe);
    }

    /**
     * The same experiment trained at learning rate {@code lr} with {@code newMiniBatches} minibatches per step (a
     * regime of the MoE experiment: the calibrated lr*, or the harsher regime's).
     */
    public ExperimentConfig withTraining(double lr, int newMiniBatches) {
        return new ExperimentConfig(
                seeds,
                firstSeed,
                steps,
                promptsPerStep,
                groupSize,
                newMiniBatches,
                lr,
                temperature,
                maxNewTokens,
                modelSeed,
                sftSteps,
                sftBatchSize,
                sftLearningRate,
                evalEvery,
                evalSize,
                window,
                rewardGain,
                gspoSweep,
                grpoSweep,
                out,
                workDir,
                model,
                base,
                baseConfig,
                sweepSteps,
                moe);
    }

    /** The MoE settings; without them no calibration and no harsher regime. */
    public MoeSpec moeSpec() {
        return moe == null ? new MoeSpec(List.of(), null, 0, 1) : moe;
    }

    /** The built-in model's name ({@code builtin} for results written before the field existed). */
    public String modelName() {
        return model == null ? "builtin" : model;
    }

    /** The same runs, analysed with window {@code newWindow} and gain {@code newGain}, reported to {@code newOut}. */
    public ExperimentConfig withAnalysis(int newWindow, double newGain, Path newOut) {
        return new ExperimentConfig(
                seeds,
                firstSeed,
                steps,
                promptsPerStep,
                groupSize,
                miniBatches,
                learningRate,
                temperature,
                maxNewTokens,
                modelSeed,
                sftSteps,
                sftBatchSize,
                sftLearningRate,
                evalEvery,
                evalSize,
                newWindow,
                newGain,
                gspoSweep,
                grpoSweep,
                newOut,
                workDir,
                model,
                base,
                baseConfig,
                sweepSteps,
                moe);
    }

    /** The folder of the plots: {@code experiments/} beside the markdown file. */
    public Path plotsDir() {
        return out.toAbsolutePath().getParent().resolve("experiments");
    }

    public List<Long> seedList() {
        return java.util.stream.LongStream.range(firstSeed, firstSeed + seeds)
                .boxed()
                .toList();
    }

    /** Steps of a sweep run. */
    public int sweepStepCount() {
        return sweepSteps == null ? steps : sweepSteps;
    }

    /** The seed of the warm start the runs of {@code seed} start from: their own with a base, else {@code modelSeed}. */
    public long warmStartSeed(long seed) {
        return base != null ? seed : modelSeed;
    }

    /**
     * The warm start of {@code seed} ({@link #warmStartSeed}): no GSPO step. With a base, the base's run of seed
     * {@code seed} (its warm start, with its stop rule, e.g. the main job's stop at a target accuracy) with the flat
     * overrides; else the built-in model, {@code sftSteps} supervised steps, initial weights from {@code modelSeed}.
     */
    public RunConfig warmStartConfig(long seed) {
        if (base == null) {
            return trainingConfig(
                            modelName(),
                            modelSeed,
                            0,
                            LossMode.GSPO,
                            null,
                            new WarmStartSpec(sftSteps, sftBatchSize, sftLearningRate),
                            false,
                            null)
                    .withDefaults();
        }
        ObjectNode n = overridden(warmStartSeed(seed), 0);
        set(n, "warmStart.steps", sftSteps);
        set(n, "warmStart.batchSize", sftBatchSize);
        set(n, "warmStart.learningRate", sftLearningRate);
        set(n, "checkpointing.every", 0);
        return RunConfigJson.read(n).withDefaults();
    }

    /** The base with this experiment's seed, steps and flat settings (sampling, optimizer, evaluation). */
    private ObjectNode overridden(long seed, int gspoSteps) {
        ObjectNode n = RunConfigJson.write(baseConfig);
        if (model != null) {
            set(n, "model.source", model); // e.g. the MoE experiment: the built-in moe policy on the base's task
        }
        set(n, "seed", seed);
        set(n, "steps", gspoSteps);
        set(n, "sampling.promptsPerStep", promptsPerStep);
        set(n, "sampling.groupSize", groupSize);
        set(n, "sampling.temperature", temperature);
        set(n, "sampling.maxNewTokens", maxNewTokens);
        // dynamic sampling's bound keeps its ratio to the step's prompts (the main job: 64 extra for 64)
        int baseOver = baseConfig.sampling().maxOverSample();
        int basePrompts = baseConfig.sampling().promptsPerStep();
        set(n, "sampling.maxOverSample", (int) Math.round((double) baseOver * promptsPerStep / basePrompts));
        set(n, "optimizer.learningRate", learningRate);
        set(n, "optimizer.miniBatches", miniBatches);
        set(n, "eval.every", evalEvery);
        set(n, "eval.size", evalSize);
        return n;
    }

    private static void set(ObjectNode n, String path, Object value) {
        RunConfigJson.set(n, path, PRESETS.valueToTree(value));
    }

    /** The settings every run of the experiment shares; the loss, clip range, seed and start differ. */
    private RunConfig trainingConfig(
            String model,
            long seed,
            int gspoSteps,
            LossMode mode,
            ClipRange clip,
            WarmStartSpec warmStart,
            boolean routingReplay,
            String resumeFrom) {
        return new RunConfig(
                new AdditionSpec(1, 2, null),
                null,
                ModelSpec.of(model),
                seed,
                gspoSteps,
                new SamplingSpec(promptsPerStep, groupSize, temperature, maxNewTokens),
                new ObjectiveSpec(
                        mode,
                        clip == null ? null : clip.low(),
                        clip == null ? null : clip.high(),
                        OldLogprobs.ROLLOUT,
                        0.0,
                        true,
                        routingReplay),
                new OptimizerSpec(learningRate, miniBatches, 1.0, 0.0),
                warmStart,
                new EvalSpec(evalEvery, evalSize),
                new CheckpointSpec(0),
                resumeFrom);
    }

    /**
     * The run of {@code arm} with {@code seed}, resumed from the warm-start checkpoint {@code warmStart}: its weights
     * and its AdamW state (moments and step count), as the main job carries the warm start's optimizer into GSPO;
     * a fresh AdamW's first updates are sign steps that hurt this model (the calibration findings). Steps 1..N.
     * Routing replay is on for the arms of the {@link MoeExperiment#REPLAY} setting.
     */
    public RunConfig runConfig(Arm arm, long seed, Path warmStart) {
        return runConfig(arm, seed, warmStart, steps);
    }

    /** {@link #runConfig(Arm, long, Path)} with {@code gspoSteps} steps (a sweep run: {@link #sweepStepCount()}). */
    public RunConfig runConfig(Arm arm, long seed, Path warmStart, int gspoSteps) {
        if (base != null) {
            ObjectNode n = overridden(seed, gspoSteps);
            set(n, "objective.lossMode", arm.mode());
            set(n, "objective.clipLow", arm.clip().low());
            set(n, "objective.clipHigh", arm.clip().high());
            set(n, "objective.routingReplay", arm.routingReplay());
            set(n, "warmStart.steps", 0);
            set(n, "checkpointing.every", 0);
            set(n, "model.source", warmStart.toString());
            set(n, "resumeFrom", warmStart.toString());
            return RunConfigJson.read(n).withDefaults();
        }
        return trainingConfig(
                        warmStart.toString(),
                        seed,
                        gspoSteps,
                        arm.mode(),
                        arm.clip(),
                        new WarmStartSpec(0, sftBatchSize, sftLearningRate),
                        arm.routingReplay(),
                        warmStart.toString())
                .withDefaults();
    }
}
