package dev.gspo.common.reward;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every built-in function returns a finite number for any response and any answer, and never throws. */
class RewardsAreTotalTest {

    @Test
    void everyBuiltInFunctionIsFiniteOnAnyInput() {
        List<SampleReward> functions = List.of(
                new ExactReward(true),
                new ExactReward(false),
                MathReward.INSTANCE,
                new RegexReward("Final: {answer}", 1.0),
                new ChoiceReward(ChoiceReward.DEFAULT_LETTERS),
                new FormatReward(FormatReward.THINK_THEN_ANSWER),
                new LengthPenalty(8, 2));
        List<String> texts = new ArrayList<>(List.of(
                "",
                "\n",
                "\u0000\uFFFF\uD800",
                "1".repeat(1_000_000),
                "9,999".repeat(100_000),
                "1" + ",000".repeat(300_000),
                "\\boxed{".repeat(10_000),
                "\\frac{1}{0}",
                "#### ".repeat(50_000),
                "answer is ".repeat(50_000),
                "-".repeat(100_000) + "5",
                "<think>".repeat(20_000),
                "🎉".repeat(100_000) + "\n46"));
        String alphabet = "0123456789,./-+$%\\{}()ABab answer is####boxed frac<think></think>\n ";
        Random random = new Random(42);
        for (int i = 0; i < 2_000; i++) {
            StringBuilder s = new StringBuilder();
            for (int j = random.nextInt(40); j > 0; j--) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            texts.add(s.toString());
        }
        for (SampleReward f : functions) {
            for (String response : texts) {
                for (String answer : List.of("42", "B", "", "x^2", response.length() < 100 ? response : "1")) {
                    double r = f.score(new RewardInput("t", "p", response, answer, response.length(), Map.of()));
                    assertThat(Double.isFinite(r)).as("%s on %s", f, response).isTrue();
                }
            }
        }
    }
}
