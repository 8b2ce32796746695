package dev.gspo.optimizer.runconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.common.reward.HttpRewardSpec;
import dev.gspo.common.reward.LengthRewardSpec;
import dev.gspo.common.reward.MathRewardSpec;
import dev.gspo.common.reward.TaskRewardSpec;
import org.junit.jupiter.api.Test;

/** The {@code rewards} section of the run config. */
class RunConfigRewardsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void withoutRewardsARunUsesTheTasksOwnRewardAndSaysSo() {
        RunConfig config = RunConfig.empty().withDefaults();

        assertThat(config.rewards()).containsExactly(new TaskRewardSpec("task", 1.0));
        assertThat(RunConfigJson.write(config).get("rewards").toString())
                .isEqualTo("[{\"fn\":\"task\",\"name\":\"task\",\"weight\":1.0}]");
        assertThat(RunConfigJson.read("{\"promptsPerStep\":4,\"task\":\"addition\"}")
                        .withDefaults()
                        .rewards())
                .as("the flat body and the checkpoints of earlier versions")
                .containsExactly(new TaskRewardSpec("task", 1.0));
    }

    @Test
    void rewardsAreReadTypedWrittenAndReadBackUnchanged() {
        RunConfig config = RunConfigJson.read("""
                        {"sampling":{"maxNewTokens":20},
                         "rewards":[{"fn":"math"},{"fn":"length","weight":-0.5},
                                    {"fn":"http","name":"grader","url":"https://g.internal/v1/score","tokenSecret":"grader"}]}""").withDefaults();

        assertThat(config.rewards().get(0)).isEqualTo(new MathRewardSpec("math", 1.0));
        assertThat(config.rewards().get(1))
                .as("L_max defaults to sampling.maxNewTokens")
                .isEqualTo(new LengthRewardSpec("length", -0.5, 20, 4));
        assertThat(config.rewards().get(2))
                .isEqualTo(new HttpRewardSpec("grader", 1.0, "https://g.internal/v1/score", "grader", 30.0, 64, 4, 3));
        assertThat(config.validate()).isEmpty();
        assertThat(RunConfigJson.read(RunConfigJson.write(config))).isEqualTo(config);
    }

    @Test
    void anUnknownFnIsAMalformedConfigNamingTheFieldAndTheKnownFunctions() {
        assertThatThrownBy(() -> RunConfigJson.read("{\"rewards\":[{\"fn\":\"math\"},{\"fn\":\"bleu\"}]}"))
                .isInstanceOfSatisfying(InvalidRunConfigException.class, e -> {
                    assertThat(e.malformed()).isTrue();
                    assertThat(e.problems())
                            .containsExactly("rewards[1].fn: unknown reward function 'bleu'; known functions: task, "
                                    + "exact, math, regex, choice, format, length, http");
                });
    }

    @Test
    void rewardProblemsAreListedWithEveryOtherProblem() {
        RunConfig config = RunConfigJson.read("""
                        {"steps":0,"rewards":[{"fn":"regex","pattern":"("},{"fn":"math","weight":-200}]}""").withDefaults();

        assertThat(config.validate())
                .containsExactly(
                        "rewards[0].pattern: not a valid regular expression: Unclosed group at index 1",
                        "rewards[1].weight: must be in [-100.0, 100.0], got -200.0",
                        "steps: must be between 1 and 1000000, got 0");
    }

    @Test
    void anOverrideCanReplaceTheRewards() throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree("{\"task\":{\"name\":\"addition\"}}");

        RunConfigJson.set(root, "rewards", JSON.readTree("[{\"fn\":\"exact\",\"normalize\":false}]"));

        assertThat(RunConfigJson.read(root).withDefaults().rewards().getFirst().fn())
                .isEqualTo("exact");
    }
}
