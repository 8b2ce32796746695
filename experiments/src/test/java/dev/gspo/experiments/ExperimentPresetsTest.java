package dev.gspo.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.common.objective.ClipRange;
import dev.gspo.common.objective.LossMode;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentPresetsTest {
    @TempDir
    Path dir;

    /** The main job's config, as the repository ships it (the tests run in experiments/, one level below). */
    private static RunConfig mainJob() throws Exception {
        Path file = Path.of("../config/main-job.json");
        return RunConfigJson.read(Files.readString(file)).withDefaults();
    }

    @Test
    void theDensePresetTakesTheMainJobsSettingsAndAddsOnlyTheExperimentsOwn() throws Exception {
        ExperimentConfig dense = ExperimentConfig.full(dir.resolve("E.md"), dir);
        RunConfig main = mainJob();

        assertThat(dense.base()).isEqualTo("config/main-job.json");
        assertThat(dense.baseConfig()).isEqualTo(main);
        assertThat(dense.promptsPerStep()).isEqualTo(main.sampling().promptsPerStep());
        assertThat(dense.groupSize()).isEqualTo(main.sampling().groupSize());
        assertThat(dense.learningRate()).isEqualTo(main.optimizer().learningRate());
        assertThat(dense.miniBatches()).isEqualTo(main.optimizer().miniBatches());
        assertThat(dense.sftSteps()).isEqualTo(main.warmStart().steps());
        assertThat(dense.evalSize()).isEqualTo(main.eval().size());
        assertThat(List.of(dense.seeds(), dense.steps(), dense.sweepStepCount(), dense.evalEvery()))
                .containsExactly(5, 100, 50, 25);
        assertThat(dense.gspoSweep()).containsExactly(3e-4, 3e-3, 3e-2);
        assertThat(dense.grpoSweep()).containsExactly(0.1, 0.2, 0.3);
    }

    @Test
    void everyArmRunsTheMainJobAndDiffersOnlyInLossModeClipRangeAndSeed() throws Exception {
        ExperimentConfig dense = ExperimentConfig.full(dir.resolve("E.md"), dir);
        Path warm = dir.resolve("warm-start-s3");
        RunConfig main = mainJob();

        RunConfig gspo = dense.runConfig(new Arm(LossMode.GSPO, "paper", LossMode.GSPO.paperClipRange()), 3, warm);
        RunConfig grpo = dense.runConfig(new Arm(LossMode.GRPO, "tuned", new ClipRange(0.1, 0.135)), 3, warm);

        assertThat(grpo.validate()).isEmpty();
        assertThat(grpo.objective().lossMode()).isEqualTo(LossMode.GRPO);
        assertThat(grpo.objective().clipRange()).isEqualTo(new ClipRange(0.1, 0.135));
        assertThat(gspo.objective().clipRange()).isEqualTo(LossMode.GSPO.paperClipRange());
        assertThat(grpo.seed()).isEqualTo(3);
        assertThat(grpo.steps()).isEqualTo(100);
        assertThat(grpo.task()).isEqualTo(main.task());
        assertThat(grpo.sampling()).isEqualTo(main.sampling());
        assertThat(grpo.sampling().dynamicSampling()).isTrue();
        assertThat(grpo.optimizer()).isEqualTo(main.optimizer());
        assertThat(grpo.objective().oldLogprobs()).isEqualTo(main.objective().oldLogprobs());
        assertThat(grpo.resumeFrom()).isEqualTo(warm.toString());
        assertThat(grpo.warmStart().steps())
                .as("the warm start is the seed's checkpoint")
                .isZero();
        assertThat(grpo.eval().every()).isEqualTo(25);

        ObjectNode a = RunConfigJson.write(gspo);
        ObjectNode b = RunConfigJson.write(grpo);
        a.remove("objective");
        b.remove("objective");
        assertThat(a).as("all but the objective").isEqualTo(b);
        assertThat(dense.runConfig(new Arm(LossMode.GSPO, "sweep", LossMode.GSPO.paperClipRange()), 1, warm, 50)
                        .steps())
                .isEqualTo(50);
    }

    @Test
    void eachSeedsWarmStartIsTheMainJobsWarmStartWithThatSeed() throws Exception {
        ExperimentConfig dense = ExperimentConfig.full(dir.resolve("E.md"), dir);
        RunConfig main = mainJob();

        RunConfig warm = dense.warmStartConfig(4);

        assertThat(dense.warmStartSeed(4)).isEqualTo(4);
        assertThat(warm.seed()).isEqualTo(4);
        assertThat(warm.warmStart()).isEqualTo(main.warmStart());
        assertThat(warm.warmStart().targetAccuracy()).isEqualTo(0.3);
        assertThat(warm.task()).isEqualTo(main.task());
        assertThat(warm.resumeFrom()).isNull();
    }

    @Test
    void theQuickPresetShrinksTheMainJobButKeepsDynamicSamplingInProportion() {
        ExperimentConfig quick = ExperimentConfig.quick(dir.resolve("E.md"), dir);

        RunConfig run =
                quick.runConfig(new Arm(LossMode.GSPO, "paper", LossMode.GSPO.paperClipRange()), 1, dir.resolve("w"));

        assertThat(run.validate()).isEmpty();
        assertThat(run.sampling().promptsPerStep()).isEqualTo(8);
        assertThat(run.sampling().groupSize()).isEqualTo(4);
        assertThat(run.sampling().dynamicSampling()).isTrue();
        assertThat(run.sampling().maxOverSample())
                .as("64 extra for 64 → 8 for 8")
                .isEqualTo(8);
        assertThat(quick.warmStartConfig(1).warmStart().steps()).isEqualTo(40);
        assertThat(quick.steps()).isEqualTo(4);
    }

    @Test
    void theMoePresetRunsTheMoePolicyOnTheMainJobsTaskWithItsSeedRobustWarmStart() throws Exception {
        ExperimentConfig moe = ExperimentConfig.moe(dir.resolve("E.md"), dir);
        RunConfig main = mainJob();

        RunConfig warm = moe.warmStartConfig(2);

        assertThat(moe.base()).isEqualTo("config/main-job.json");
        assertThat(moe.modelName()).isEqualTo("moe");
        assertThat(warm.model().source())
                .as("the MoE policy, not the base's dense one")
                .isEqualTo("moe");
        assertThat(warm.seed()).isEqualTo(2);
        assertThat(warm.warmStart()).as("the main job's stop rule").isEqualTo(main.warmStart());
        assertThat(warm.task()).isEqualTo(main.task());
        assertThat(moe.seeds()).isGreaterThanOrEqualTo(3);
        assertThat(moe.moeSpec().lrSweep())
                .as("a calibration over ~1.5 decades down from the old 3e-4")
                .hasSizeGreaterThanOrEqualTo(4)
                .allMatch(lr -> lr <= 3e-4 && lr >= 3e-4 / Math.pow(10, 1.6));
        assertThat(moe.moeSpec().harshMiniBatches()).isEqualTo(8);
        assertThat(moe.moeSpec().harshLrFactor()).isEqualTo(3);
        assertThat(ExperimentConfig.moeQuick(dir.resolve("E.md"), dir).seeds()).isEqualTo(2);
    }

    @Test
    void theHarsherRegimeTrainsWithItsOwnLearningRateAndMinibatchesAndNothingElseChanges() {
        ExperimentConfig moe = ExperimentConfig.moe(dir.resolve("E.md"), dir);
        Arm calm = new Arm(LossMode.GRPO, MoeExperiment.REPLAY, LossMode.GRPO.paperClipRange());
        Arm harsh = new Arm(LossMode.GRPO, MoeExperiment.HARSH_REPLAY, LossMode.GRPO.paperClipRange());
        Path warm = dir.resolve("warm-start-s1");

        RunConfig calibrated = moe.withTraining(5e-5, moe.miniBatches()).runConfig(calm, 1, warm);
        RunConfig harsher = moe.withTraining(15e-5, 8).runConfig(harsh, 1, warm);

        assertThat(calibrated.optimizer().learningRate()).isEqualTo(5e-5);
        assertThat(harsher.optimizer().learningRate()).isEqualTo(15e-5);
        assertThat(calibrated.optimizer().miniBatches()).isEqualTo(2);
        assertThat(harsher.optimizer().miniBatches()).isEqualTo(8);
        assertThat(harsher.objective().routingReplay()).isTrue();
        assertThat(harsher.validate()).isEmpty();
        ObjectNode a = RunConfigJson.write(calibrated);
        ObjectNode b = RunConfigJson.write(harsher);
        a.remove("optimizer");
        b.remove("optimizer");
        assertThat(a).as("all but the optimizer's lr and minibatches").isEqualTo(b);
        assertThat(MoeExperiment.Regime.of(harsh)).isEqualTo(MoeExperiment.Regime.HARSH);
        assertThat(MoeExperiment.Regime.of(calm)).isEqualTo(MoeExperiment.Regime.CALIBRATED);
        assertThat(new Arm(LossMode.GRPO, MoeExperiment.HARSH, LossMode.GRPO.paperClipRange()).routingReplay())
                .isFalse();
    }

    @Test
    void moeOptionsOverrideThePresetAndBelongToMoeOnly() {
        ExperimentCommand command = new ExperimentCommand(System.out, "test");
        new picocli.CommandLine(command)
                .parseArgs("--moe", "--lr-sweep", "1e-4,2e-5", "--harsh-mini-batches", "6", "--harsh-lr-factor", "2");
        ExperimentCommand noSweep = new ExperimentCommand(System.out, "test");
        new picocli.CommandLine(noSweep).parseArgs("--moe", "--no-sweep", "--lr", "4e-5");
        ExperimentCommand dense = new ExperimentCommand(System.out, "test");
        new picocli.CommandLine(dense).parseArgs("--lr-sweep", "1e-4");

        ExperimentConfig.MoeSpec m = command.config(dir).moeSpec();

        assertThat(m.lrSweep()).containsExactly(1e-4, 2e-5);
        assertThat(m.harshMiniBatches()).isEqualTo(6);
        assertThat(m.harshLrFactor()).isEqualTo(2);
        assertThat(m.lrSweepSteps())
                .isEqualTo(ExperimentConfig.moe(dir, dir).moeSpec().lrSweepSteps());
        assertThat(noSweep.config(dir).moeSpec().lrSweep()).isEmpty();
        assertThat(noSweep.config(dir).learningRate()).isEqualTo(4e-5);
        assertThatThrownBy(() -> dense.config(dir))
                .hasMessageContaining("--lr-sweep")
                .hasMessageContaining("--moe");
        assertThatThrownBy(() -> new ExperimentConfig.MoeSpec(List.of(1e-4, -1.0), null, 8, 3))
                .hasMessageContaining("[1.0E-4, -1.0]");
        assertThatThrownBy(() -> new ExperimentConfig.MoeSpec(List.of(), null, 8, 0.5))
                .hasMessageContaining("harshLrFactor must be ≥ 1, got 0.5");
    }

    @Test
    void aPresetFileReplacesTheShippedOneAndOptionsStillOverrideIt() throws Exception {
        Path preset = dir.resolve("mine.json");
        Files.writeString(
                preset,
                new String(ExperimentConfig.class
                                .getResourceAsStream("/presets/dense.json")
                                .readAllBytes())
                        .replace("\"steps\": 100", "\"steps\": 12"));
        ExperimentCommand command = new ExperimentCommand(System.out, "test");
        new picocli.CommandLine(command)
                .parseArgs("--preset", preset.toString(), "--seeds", "2", "--sweep-steps", "3", "--lr", "1e-4");

        ExperimentConfig config = command.config(dir);

        assertThat(config.steps()).isEqualTo(12);
        assertThat(config.seeds()).isEqualTo(2);
        assertThat(config.sweepStepCount()).isEqualTo(3);
        assertThat(config.promptsPerStep()).as("the main job's").isEqualTo(64);
        assertThat(config.runConfig(new Arm(LossMode.GRPO, "paper", LossMode.GRPO.paperClipRange()), 1, dir)
                        .optimizer()
                        .learningRate())
                .isEqualTo(1e-4);
    }

    @Test
    void aPresetThatLeavesASettingOutMisspellsOneOrNamesAMissingBaseIsRefused() throws Exception {
        Path partial = Files.writeString(dir.resolve("partial.json"), "{\"seeds\": 2}");
        Path partialWithBase = Files.writeString(
                dir.resolve("partial-base.json"), "{\"base\": \"config/main-job.json\", \"seeds\": 2}");
        Path misspelt = dir.resolve("misspelt.json");
        Files.writeString(
                misspelt,
                new String(ExperimentConfig.class
                                .getResourceAsStream("/presets/dense.json")
                                .readAllBytes())
                        .replace("\"window\"", "\"windw\""));
        Path noBase = Files.writeString(
                dir.resolve("no-base.json"),
                new String(ExperimentConfig.class
                                .getResourceAsStream("/presets/dense.json")
                                .readAllBytes())
                        .replace("config/main-job.json", "config/no-such-job.json"));

        assertThatThrownBy(() -> ExperimentConfig.preset(partial, dir, dir))
                .hasMessageContaining("does not set [firstSeed, steps");
        assertThatThrownBy(() -> ExperimentConfig.preset(partialWithBase, dir, dir))
                .hasMessageContaining("does not set [firstSeed, steps, window, rewardGain, gspoSweep, grpoSweep]");
        assertThatThrownBy(() -> ExperimentConfig.preset(misspelt, dir, dir)).hasMessageContaining("window");
        assertThatThrownBy(() -> ExperimentConfig.preset(noBase, dir, dir))
                .hasMessageContaining("'config/no-such-job.json' not found");
    }
}
