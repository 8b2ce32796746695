package dev.gspo.common.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FormatAndRegexRewardTest {
    private final FormatReward think = new FormatReward(FormatReward.THINK_THEN_ANSWER);

    @ParameterizedTest
    @ValueSource(
            strings = {
                "<think>7*6 is 42</think> 42",
                "<think>7*6 is 42</think>42",
                "  \n<think>\nmultiply\n</think>\n\nThe answer is 42.",
                "<think>a < b and c > d</think> yes",
            })
    void theDefaultFormatAcceptsOneThinkBlockThenAnAnswer(String response) {
        assertThat(think.score(Inputs.of(response, "42"))).isEqualTo(1.0);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "42",
                "<think>7*6 is 42</think>",
                "<think>7*6 is 42</think>   \n ",
                "<think></think> 42",
                "<think>  \n </think> 42",
                "<think>a</think> 42 <think>b</think>",
                "<think>a</think> 4 </think> 2",
                "<think>a<think>b</think> 42",
                "42 <think>a</think> 42",
                "<think>unclosed 42",
                "",
            })
    void theDefaultFormatRefusesEverythingElse(String response) {
        assertThat(think.score(Inputs.of(response, "42"))).isZero();
    }

    @Test
    void theDefaultFormatHoldsOnAMegabyteResponse() {
        String reasoning = "step ".repeat(200_000);
        assertThat(think.score(Inputs.of("<think>" + reasoning + "</think> 42", "42")))
                .isEqualTo(1.0);
        assertThat(think.score(Inputs.of("<think>" + reasoning + " 42", "42"))).isZero();
    }

    @Test
    void aCustomFormatMustMatchTheWholeResponse() {
        FormatReward answerTag = new FormatReward("<answer>\\d+</answer>");
        assertThat(answerTag.score(Inputs.of("<answer>42</answer>", "42"))).isEqualTo(1.0);
        assertThat(answerTag.score(Inputs.of("so <answer>42</answer>", "42"))).isZero();
    }

    @Test
    void aRegexScoresWhenFoundAnywhere() {
        RegexReward cites = new RegexReward("(?i)because", 0.5);
        assertThat(cites.score(Inputs.of("42, BECAUSE 6*7", "42"))).isEqualTo(0.5);
        assertThat(cites.score(Inputs.of("42", "42"))).isZero();
    }

    @Test
    void theAnswerPlaceholderMatchesTheReferenceLiterally() {
        RegexReward finalAnswer = new RegexReward("Final: *{answer}$", 1.0);
        assertThat(finalAnswer.score(Inputs.of("work... Final: 3.5", "3.5"))).isEqualTo(1.0);
        // the answer's "." is a literal, not "any character"
        assertThat(finalAnswer.score(Inputs.of("work... Final: 3x5", "3.5"))).isZero();
        assertThat(finalAnswer.score(Inputs.of("Final: 3.5 or so", "3.5"))).isZero();
        // regex metacharacters in the answer do not break the pattern
        assertThat(finalAnswer.score(Inputs.of("Final: (a+b)*", "(a+b)*"))).isEqualTo(1.0);
    }

    @Test
    void aBadPatternIsRefusedWithItsSyntaxErrorAndPosition() {
        assertThat(RegexReward.syntaxError("(unclosed"))
                .contains("Unclosed group")
                .contains("index");
        assertThat(RegexReward.syntaxError("ok{answer}")).isNull();
        assertThatThrownBy(() -> new RegexReward("[a-", 1.0)).isInstanceOf(PatternSyntaxException.class);
    }

    @Test
    void aRegexThatOverflowsTheEnginesStackScoresZeroInsteadOfThrowing() {
        RegexReward deep = new RegexReward("^(a|b)*$", 1.0);
        assertThat(deep.score(Inputs.of("ab".repeat(500_000), "x"))).isZero();
    }
}
