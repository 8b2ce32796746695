package dev.gspo.common.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RewardMixTest {

    @Test
    void theRewardIsTheWeightedSumAndEachFunctionReportsItsOwnUnweightedMean() {
        RewardMix mix = new RewardMix(List.of(
                new RewardMix.Term("math", 1.0, MathReward.INSTANCE),
                new RewardMix.Term("format", 0.2, new FormatReward(FormatReward.THINK_THEN_ANSWER)),
                new RewardMix.Term("length", 0.5, new LengthPenalty(10, 5))));
        List<RewardInput> inputs = List.of(
                new RewardInput("a", "p", "<think>6*7</think> 42", "42", 4, Map.of()),
                new RewardInput("b", "p", "41", "42", 8, Map.of()));

        RewardMix.Result r = mix.score(inputs);

        // a: 1·1 + 0.2·1 + 0.5·0 ; b: 1·0 + 0.2·0 + 0.5·(−3/5)
        assertThat(r.total()).containsExactly(new double[] {1.2, -0.3}, within(1e-12));
        assertThat(r.primary()).containsExactly(1.0, 0.0);
        assertThat(r.means())
                .containsExactly(Map.entry("math", 0.5), Map.entry("format", 0.5), Map.entry("length", -0.3));
    }

    @Test
    void componentsAreReportedAfterTheFunctionsUnderTheirFunctionsName() {
        Reward remote =
                inputs -> new RewardScores(new double[] {1.0, 0.0}, Map.of("correct", new double[] {1.0, Double.NaN}));
        RewardMix mix = new RewardMix(List.of(
                new RewardMix.Term("grader", 1.0, remote), new RewardMix.Term("math", 0.0, MathReward.INSTANCE)));

        RewardMix.Result r = mix.score(List.of(Inputs.of("1", "1"), Inputs.of("2", "1")));

        assertThat(r.means().keySet()).containsExactly("grader", "math", "grader.correct");
        assertThat(r.means().get("grader.correct"))
                .as("the mean over the responses that carry it")
                .isEqualTo(1.0);
        assertThat(r.total()).containsExactly(1.0, 0.0);
    }
}
