package dev.gspo.optimizer.runconfig;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.train.OldLogprobs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code sampling.maxStaleness} and {@code objective.tisCap}: defaults, bounds, and what each needs of π_old. */
class PipelineConfigTest {

    private static List<String> problems(String json) {
        return RunConfigJson.read(json).withDefaults().validate();
    }

    @Test
    void theDefaultIsTheStrictlyOnPolicyLoopWithoutATisCap() {
        RunConfig c = RunConfigJson.read("{}").withDefaults();
        assertThat(c.sampling().maxStaleness()).isZero();
        assertThat(c.objective().tisCap()).isNull();
        assertThat(c.objective().tisCapOrOff()).isZero();
        assertThat(c.objective().oldLogprobs()).isEqualTo(OldLogprobs.ROLLOUT);
        assertThat(c.validate()).isEmpty();
    }

    @Test
    void aStalenessAboveTheMaximumIsRefusedWithTheValue() {
        assertThat(problems("{\"sampling\":{\"maxStaleness\":5}}"))
                .containsExactly("sampling.maxStaleness: must be between 0 and 4, got 5");
        assertThat(problems("{\"sampling\":{\"maxStaleness\":-1}}"))
                .containsExactly("sampling.maxStaleness: must be between 0 and 4, got -1");
        assertThat(problems("{\"sampling\":{\"maxStaleness\":4}}")).isEmpty();
    }

    @Test
    void pipelinedStepsWithTheTrainersOwnLogprobsAndNoCapAreRefused() {
        assertThat(problems("{\"sampling\":{\"maxStaleness\":1},\"objective\":{\"oldLogprobs\":\"recompute\"}}"))
                .containsExactly("sampling.maxStaleness: 1 needs π_old from the policy that sampled: "
                        + "objective.oldLogprobs rollout, or recompute with objective.tisCap; got oldLogprobs "
                        + "recompute without tisCap (the ratio would be taken against the trainer's current policy)");
        assertThat(problems("{\"sampling\":{\"maxStaleness\":1}}")).isEmpty(); // rollout, the default
        assertThat(problems("{\"sampling\":{\"maxStaleness\":0},\"objective\":{\"oldLogprobs\":\"recompute\"}}"))
                .isEmpty();
        assertThat(problems("{\"sampling\":{\"maxStaleness\":2},\"objective\":{\"tisCap\":2}}"))
                .isEmpty();
    }

    @Test
    void aTisCapMakesTheTrainersOwnLogprobsTheDefaultAndRefusesRolloutOnes() {
        RunConfig c = RunConfigJson.read("{\"objective\":{\"tisCap\":2}}").withDefaults();
        assertThat(c.objective().oldLogprobs()).isEqualTo(OldLogprobs.RECOMPUTE);
        assertThat(c.objective().tisCapOrOff()).isEqualTo(2.0);
        assertThat(problems("{\"objective\":{\"tisCap\":2,\"oldLogprobs\":\"rollout\"}}"))
                .containsExactly("objective.tisCap: needs objective.oldLogprobs recompute (the ratio's π_old is "
                        + "then the trainer's own log-probs and the weight min(π_old / π_rollout, 2.0) brings in the "
                        + "rollout's; with rollout log-probs as π_old the ratio already divides by them), got "
                        + "oldLogprobs rollout");
    }

    @Test
    void aTisCapOutsideItsRangeIsRefusedWithTheValue() {
        assertThat(problems("{\"objective\":{\"tisCap\":0.5}}"))
                .containsExactly("objective.tisCap: must be in [1.0, 1000.0], got 0.5");
        assertThat(problems("{\"objective\":{\"tisCap\":1e9}}"))
                .containsExactly("objective.tisCap: must be in [1.0, 1000.0], got 1.0E9");
    }

    @Test
    void bothSettingsSurviveTheCheckpointsJson() {
        RunConfig c = RunConfigJson.read("{\"sampling\":{\"maxStaleness\":1},\"objective\":{\"tisCap\":3}}")
                .withDefaults();
        RunConfig back = RunConfigJson.read(RunConfigJson.write(c));
        assertThat(back.sampling().maxStaleness()).isEqualTo(1);
        assertThat(back.objective().tisCap()).isEqualTo(3.0);
        assertThat(back.withDefaults()).isEqualTo(c);
    }
}
