package dev.gspo.experiments;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.gspo.common.objective.ClipRange;
import dev.gspo.common.objective.LossMode;
import dev.gspo.common.task.AdditionSpec;
import dev.gspo.common.train.OldLogprobs;
import dev.gspo.optimizer.runconfig.CheckpointSpec;
import dev.gspo.optimizer.runconfig.EvalSpec;
import dev.gspo.optimizer.runconfig.ModelSpec;
import dev.gspo.optimizer.runconfig.ObjectiveSpec;
import dev.gspo.optimizer.runconfig.OptimizerSpec;
import dev.gspo.optimizer.runconfig.RunConfig;
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
        String model) {

    /** Reads presets strictly: a misspelt or missing field is an error, not a silent default. */
    private static final ObjectMapper PRESETS = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    public ExperimentConfig {
        gspoSweep = List.copyOf(gspoSweep);
        grpoSweep = List.copyOf(grpoSweep);
        if (seeds < 1 || steps < 1 || window < 1 || evalEvery < 1) {
            throw new IllegalArgumentException("seeds, steps, window and evalEvery must be ≥ 1; got seeds " + seeds
                    + ", steps " + steps + ", window " + window + ", evalEvery " + evalEvery);
        }
    }

    /**
     * The dense experiment ({@code presets/dense.json}): the calibrated settings (lr 1e-4, T = 0.7, 32 prompts × 8, 600
     * warm-start steps) with the paper's 4 minibatches (off-policy updates are what clipping acts on), 3 seeds × 70
     * steps, and the sweep of clip ranges.
     */
    public static ExperimentConfig full(Path out, Path workDir) {
        return preset("dense", out, workDir);
    }

    /** A run of every part in about a minute ({@code presets/dense-quick.json}): 1 seed × 4 steps, a two-point sweep. */
    public static ExperimentConfig quick(Path out, Path workDir) {
        return preset("dense-quick", out, workDir);
    }

    /**
     * The MoE experiment ({@link MoeExperiment}, {@code presets/moe.json}): the built-in qwen3_moe policy with the
     * dense experiment's warm start and training settings except the learning rate, 3e-4 instead of 1e-4, so that an
     * update moves the router enough to change experts (the effect under test); 5 seeds × 150 steps.
     */
    public static ExperimentConfig moe(Path out, Path workDir) {
        return preset("moe", out, workDir);
    }

    /** The MoE experiment in seconds ({@code presets/moe-quick.json}): 2 seeds × 2 steps of 4 prompts × 4. */
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
    private static ExperimentConfig read(JsonNode preset, String what) throws IOException {
        List<String> missing = Arrays.stream(ExperimentConfig.class.getRecordComponents())
                .map(RecordComponent::getName)
                .filter(n -> !n.equals("out") && !n.equals("workDir") && !preset.has(n))
                .toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("experiment " + what + " does not set " + missing);
        }
        return PRESETS.treeToValue(preset, ExperimentConfig.class);
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
                model);
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
                model);
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

    /** The warm start: the built-in model, {@code sftSteps} supervised steps, no GSPO step. */
    public RunConfig warmStartConfig() {
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
        return trainingConfig(
                        warmStart.toString(),
                        seed,
                        steps,
                        arm.mode(),
                        arm.clip(),
                        new WarmStartSpec(0, sftBatchSize, sftLearningRate),
                        arm.routingReplay(),
                        warmStart.toString())
                .withDefaults();
    }
}
