package dev.gspo.optimizer.runconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.common.objective.LossMode;
import dev.gspo.common.task.AdditionSpec;
import dev.gspo.common.task.JsonlSpec;
import dev.gspo.common.train.OldLogprobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The nested run config, the flat body of earlier versions, and overrides. */
class RunConfigJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Every field of the flat form, as earlier clients and checkpoints wrote it. */
    private static final String FLAT = """
            {"task":"addition","taskParams":{"minDigits":2,"maxDigits":2,"heldOutSize":400},"model":"builtin",
             "steps":300,"promptsPerStep":64,"groupSize":8,"miniBatches":2,"lossMode":"grpo","clipLow":0.2,
             "clipHigh":0.27,"oldLogprobs":"recompute","klBeta":0.01,"learningRate":1e-4,"maxGradNorm":0.5,
             "weightDecay":0.1,"scaleAdvantagesByStd":false,"temperature":0.7,"maxNewTokens":6,"seed":7,
             "sftSteps":800,"sftBatchSize":32,"sftLearningRate":0.003,"evalEvery":25,"evalSize":400,
             "checkpointEvery":100,"routingReplay":false}""";

    private static final String NESTED = """
            {"task":{"name":"addition","minDigits":2,"maxDigits":2,"heldOutSize":400},"model":{"source":"builtin"},
             "seed":7,"steps":300,
             "sampling":{"promptsPerStep":64,"groupSize":8,"temperature":0.7,"maxNewTokens":6},
             "objective":{"lossMode":"grpo","clipLow":0.2,"clipHigh":0.27,"oldLogprobs":"recompute","klBeta":0.01,
                          "scaleAdvantagesByStd":false,"routingReplay":false},
             "optimizer":{"learningRate":1e-4,"miniBatches":2,"maxGradNorm":0.5,"weightDecay":0.1},
             "warmStart":{"steps":800,"batchSize":32,"learningRate":0.003},
             "eval":{"every":25,"size":400},"checkpointing":{"every":100}}""";

    @Test
    void theFlatBodyOfEarlierVersionsReadsAsTheSameConfigAsTheNestedOne() {
        RunConfig flat = RunConfigJson.read(FLAT);
        RunConfig nested = RunConfigJson.read(NESTED);

        assertThat(flat).isEqualTo(nested);
        assertThat(nested.task()).isEqualTo(new AdditionSpec(2, 2, 400));
        assertThat(nested.objective().lossMode()).isEqualTo(LossMode.GRPO);
        assertThat(nested.objective().oldLogprobs()).isEqualTo(OldLogprobs.RECOMPUTE);
        assertThat(nested.warmStart()).isEqualTo(new WarmStartSpec(800, 32, 0.003));
        assertThat(nested.checkpointing()).isEqualTo(new CheckpointSpec(100));
    }

    @Test
    void writesTheNestedFormAndReadsItBackUnchanged() throws Exception {
        RunConfig config = RunConfigJson.read(FLAT).withDefaults();
        ObjectNode written = RunConfigJson.write(config);

        assertThat(written.get("sampling").get("groupSize").asInt()).isEqualTo(8);
        assertThat(written.get("objective").get("lossMode").asText()).isEqualTo("grpo");
        assertThat(written.get("task").get("name").asText()).isEqualTo("addition");
        assertThat(written.has("promptsPerStep")).isFalse();
        assertThat(RunConfigJson.read(written)).isEqualTo(config);
    }

    @Test
    void everyMissingFieldTakesItsDocumentedDefault() {
        RunConfig config = RunConfig.empty().withDefaults();

        assertThat(config.task()).isEqualTo(new AdditionSpec(1, 2, 200));
        assertThat(config.model()).isEqualTo(new ModelSpec("builtin"));
        assertThat(config.seed()).isEqualTo(1L);
        assertThat(config.steps()).isEqualTo(30);
        assertThat(config.sampling()).isEqualTo(new SamplingSpec(16, 8, 1.0, 8, List.of("\n"), false, 16, 0));
        assertThat(config.objective())
                .isEqualTo(new ObjectiveSpec(LossMode.GSPO, 3e-4, 4e-4, OldLogprobs.ROLLOUT, 0.0, true, false, false));
        assertThat(config.optimizer()).isEqualTo(new OptimizerSpec(5e-4, 4, 1.0, 0.0));
        assertThat(config.warmStart()).isEqualTo(new WarmStartSpec(0, 64, 3e-3, null, 50, 256));
        assertThat(config.eval()).isEqualTo(new EvalSpec(5, 200));
        assertThat(config.checkpointing()).isEqualTo(new CheckpointSpec(10));
        assertThat(config.validate()).isEmpty();
        // the clip range defaults to the paper's preset of the chosen loss
        assertThat(RunConfigJson.read("{\"objective\":{\"lossMode\":\"grpo\"}}")
                        .withDefaults()
                        .objective()
                        .clipRange())
                .isEqualTo(LossMode.GRPO.paperClipRange());
    }

    @Test
    void theStopStringsDefaultToTheTasksAndAreKeptWhenGiven() {
        assertThat(RunConfigJson.read("{\"task\":{\"name\":\"reverse\"}}")
                        .withDefaults()
                        .sampling()
                        .stop())
                .as("a built-in task keeps its newline")
                .containsExactly("\n");
        assertThat(RunConfigJson.read("{\"task\":{\"name\":\"jsonl\",\"path\":\"d.jsonl\"}}")
                        .withDefaults()
                        .sampling()
                        .stop())
                .as("a dataset's responses end at the model's EOS only")
                .isEmpty();
        RunConfig own = RunConfigJson.read("{\"task\":{\"name\":\"jsonl\",\"path\":\"d.jsonl\"},"
                        + "\"sampling\":{\"stop\":[\"</answer>\",\"\\n\\n\"]},\"objective\":{\"maskTruncated\":true}}")
                .withDefaults();
        assertThat(own.sampling().stop()).containsExactly("</answer>", "\n\n");
        assertThat(own.objective().maskTruncated()).isTrue();
        assertThat(own.validate()).isEmpty();
        assertThat(RunConfigJson.read(RunConfigJson.write(own)))
                .as("written and read back")
                .isEqualTo(own);
        assertThat(RunConfigJson.read("{\"sampling\":{\"stop\":[]}}")
                        .withDefaults()
                        .sampling()
                        .stop())
                .as("an empty list: the EOS only, also for a built-in task")
                .isEmpty();
        assertThat(RunConfig.empty().withDefaults().sampling().toString())
                .as("logged with the run's config: a newline must not break the line")
                .endsWith(", stop=[\"\\n\"]]")
                .doesNotContain("\n");
    }

    @Test
    void badStopStringsAreNamedByTheirIndex() {
        String tooMany = "[" + String.join(",", java.util.Collections.nCopies(17, "\"x\"")) + "]";
        assertThat(RunConfigJson.read("{\"sampling\":{\"stop\":" + tooMany + "}}")
                        .withDefaults()
                        .validate())
                .containsExactly("sampling.stop: at most 16 stop strings, got 17");
        assertThat(RunConfigJson.read("{\"sampling\":{\"stop\":[\"ok\",\"\",null,\"" + "y".repeat(65) + "\"]}}")
                        .withDefaults()
                        .validate())
                .containsExactly(
                        "sampling.stop[1]: must be a non-empty string",
                        "sampling.stop[2]: must be a non-empty string",
                        "sampling.stop[3]: at most 64 characters, got 65");
        assertThatThrownBy(() -> RunConfigJson.read("{\"sampling\":{\"stop\":\"\\n\"}}"))
                .hasMessageStartingWith("sampling.stop: expected an array");
        assertThatThrownBy(() -> RunConfigJson.read("{\"objective\":{\"maskTruncated\":\"yes\"}}"))
                .hasMessageStartingWith("objective.maskTruncated: expected");
    }

    @Test
    void theCheckedInPresetIsNestedAndValid() throws Exception {
        Path preset = Path.of("../config/main-job.json");
        RunConfig main = RunConfigJson.read(JSON.readTree(Files.readString(preset)));

        assertThat(JSON.readTree(preset.toFile()).has("sampling")).isTrue();
        assertThat(main.withDefaults().validate()).isEmpty();
        assertThat(main.sampling().promptsPerStep()).isEqualTo(64);
    }

    @Test
    void aFieldGivenBothFlatAndNestedIsRefusedNamingBoth() {
        assertThatThrownBy(() -> RunConfigJson.read("{\"groupSize\":4,\"sampling\":{\"groupSize\":8}}"))
                .isInstanceOfSatisfying(InvalidRunConfigException.class, e -> assertThat(e.malformed())
                        .isTrue())
                .hasMessage("sampling.groupSize: given twice, as \"groupSize\" and as \"sampling.groupSize\"");
    }

    @Test
    void unknownFieldsWrongTypesAndUnknownTasksAreNamedByTheirPath() {
        assertThatThrownBy(() -> RunConfigJson.read("{\"sampling\":{\"groupsize\":4}}"))
                .hasMessageStartingWith(
                        "sampling.groupsize: unknown field; known fields here: [dynamicSampling, groupSize,");
        assertThatThrownBy(() -> RunConfigJson.read("{\"stepz\":4}")).hasMessageStartingWith("stepz: unknown field");
        assertThatThrownBy(() -> RunConfigJson.read("{\"sampling\":{\"groupSize\":2.5}}"))
                .hasMessageStartingWith("sampling.groupSize: expected an integer");
        assertThatThrownBy(() -> RunConfigJson.read("{\"steps\":\"many\"}"))
                .hasMessageStartingWith("steps: expected an integer");
        assertThatThrownBy(() -> RunConfigJson.read("{\"task\":{\"name\":7}}"))
                .hasMessage("task.name: unknown task '7'; known tasks: addition, reverse, jsonl");
        assertThatThrownBy(() -> RunConfigJson.read("{\"task\":\"addition\",\"taskParams\":{\"path\":\"x\"}}"))
                .hasMessageStartingWith("task.path: unknown field");
        assertThatThrownBy(() -> RunConfigJson.read("[1,2]")).hasMessageContaining("must be a JSON object");
        assertThatThrownBy(() -> RunConfigJson.read("{\"steps\":1,\"steps\":2}"))
                .hasMessageContaining("Duplicate field 'steps'");
    }

    /** Jackson's messages carried "(start marker at [Source: REDACTED …; line: 1, column: 1])" into the 400. */
    @Test
    void malformedJsonIsNamedByLineAndColumnWithoutTheParsersInternals() {
        assertThatThrownBy(() -> RunConfigJson.read("{\"steps\": 3"))
                .isInstanceOfSatisfying(InvalidRunConfigException.class, e -> assertThat(e.malformed())
                        .isTrue())
                .hasMessage("malformed JSON at line 1, column 12: Unexpected end-of-input: expected close marker"
                        + " for Object");
        assertThatThrownBy(() -> RunConfigJson.read("{\"steps\": 3,\n \"seed\": nope}"))
                .hasMessageStartingWith("malformed JSON at line 2, column ")
                .hasMessageContaining("Unrecognized token 'nope'")
                .message()
                .doesNotContain("Source", "REDACTED", "marker at", "class ");
    }

    @Test
    void unknownNamesAreSemanticProblemsListedWithTheRangeProblemsOfTheRest() {
        assertThatThrownBy(() -> RunConfigJson.read(
                        "{\"objective\":{\"lossMode\":\"ppo\",\"oldLogprobs\":\"cached\"},\"task\":\"multiplication\","
                                + "\"taskParams\":{\"digits\":3},\"sampling\":{\"groupSize\":1}}"))
                .isInstanceOfSatisfying(InvalidRunConfigException.class, e -> assertThat(e.malformed())
                        .isFalse())
                .satisfies(e -> assertThat(((InvalidRunConfigException) e).problems())
                        .containsExactly(
                                "task.name: unknown task 'multiplication'; known tasks: addition, reverse, jsonl",
                                "objective.lossMode: unknown loss mode 'ppo'; expected one of gspo, gspo-token, grpo",
                                "objective.oldLogprobs: unknown oldLogprobs 'cached'; known: [rollout, recompute]",
                                "sampling.groupSize: must be ≥ 2 (a group of one has no baseline), got 1"));
    }

    @Test
    void outOfRangeValuesAreSemanticProblemsListedTogether() {
        RunConfig config = RunConfigJson.read(
                        "{\"sampling\":{\"groupSize\":1,\"promptsPerStep\":2000},\"task\":{\"heldOutSize\":3000000}}")
                .withDefaults();

        assertThat(config.validate())
                .containsExactly(
                        "task.heldOutSize: must be between 0 and 10000, got 3000000",
                        "sampling.promptsPerStep: must be between 1 and 1024, got 2000",
                        "sampling.groupSize: must be ≥ 2 (a group of one has no baseline), got 1");
    }

    @Test
    void aClipLowOfOneIsRefusedAtValidationNotWhenTheRunBuildsItsObjective() {
        RunConfig config =
                RunConfigJson.read("{\"objective\":{\"clipLow\":1.0}}").withDefaults();

        assertThat(config.validate()).containsExactly("objective.clipLow: must be in (0, 1), got 1.0");
    }

    @Test
    void resumingKeepsEverySettingButTheStart() {
        RunConfig moe = RunConfigJson.read("{\"model\":\"moe\",\"objective\":{\"routingReplay\":true}}")
                .withDefaults();

        RunConfig resumed =
                moe.withResumeFrom("/runs/r/checkpoints/step-000010").withSteps(50);

        assertThat(resumed.objective().routingReplay()).isTrue();
        assertThat(resumed.steps()).isEqualTo(50);
        assertThat(RunConfigJson.read(RunConfigJson.write(resumed.withResumeFrom(null))))
                .isEqualTo(moe.withSteps(50));
    }

    @Test
    void routingReplayIsOffByDefaultAndRefusedOnTheDenseBuiltinModel() {
        RunConfig moe = RunConfigJson.read("{\"model\":\"moe\",\"objective\":{\"routingReplay\":true}}")
                .withDefaults();
        RunConfig dense = RunConfigJson.read("{\"routingReplay\":true}").withDefaults();

        assertThat(RunConfig.empty().withDefaults().objective().routingReplay()).isFalse();
        assertThat(moe.validate()).isEmpty();
        assertThat(dense.validate())
                .singleElement()
                .asString()
                .startsWith("objective.routingReplay:")
                .contains("dense");
    }

    @Test
    void overridesTakeNestedPathsAndFlatNamesAndANewTaskDropsTheOldTasksParameters() throws Exception {
        ObjectNode tree = (ObjectNode) JSON.readTree(Files.readString(Path.of("../config/main-job.json")));

        RunConfigJson.set(tree, "task", JSON.getNodeFactory().textNode("jsonl"));
        RunConfigJson.set(tree, "taskParams.path", JSON.getNodeFactory().textNode("/data/d.jsonl"));
        RunConfigJson.set(tree, "temperature", JSON.getNodeFactory().numberNode(0.5));
        RunConfigJson.set(tree, "optimizer.learningRate", JSON.getNodeFactory().numberNode(2e-4));
        RunConfig config = RunConfigJson.read(tree);

        assertThat(config.task()).isEqualTo(new JsonlSpec("/data/d.jsonl", null, null));
        assertThat(config.sampling().temperature()).isEqualTo(0.5);
        assertThat(config.sampling().promptsPerStep()).isEqualTo(64);
        assertThat(config.optimizer().learningRate()).isEqualTo(2e-4);
    }
}
