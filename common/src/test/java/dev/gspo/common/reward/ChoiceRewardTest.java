package dev.gspo.common.reward;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChoiceRewardTest {
    private final ChoiceReward abcd = new ChoiceReward("ABCD");

    @ParameterizedTest(name = "[{index}] \"{0}\" picks {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "B                                              | B",
                "a                                              | A",
                "b                                              | B",
                "(B)                                            | B",
                "(b)                                            | B",
                "B.                                             | B",
                "B)                                             | B",
                "[B]                                            | B",
                "  C:                                           | C",
                "\\boxed{D}                                     | D",
                "The answer is (B)                              | B",
                "The answer is (b).                             | B",
                "Answer: C                                      | C",
                "the correct answer is option D.                | D",
                "The answer is: A, because the others are wrong | A",
                "First I thought the answer is A. The answer is C | C",
                "(A) is wrong and (B) is wrong, so I choose (C). | C",
                "Apples are red. Answer: B                      | B",
            })
    void picksTheLetterTheResponseChooses(String response, String letter) {
        assertThat(abcd.picked(response)).isEqualTo(letter);
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" picks nothing")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "``",
                "I am not sure",
                "The answer is Apple",
                "answer is a banana", // a lower-case letter outside parentheses is a word
                "E", // not one of ABCD
                "The answer is (E)",
                "(e)",
                "Because of this, I pick b",
            })
    void picksNothingWhenNoRuleFindsOneOfTheLetters(String response) {
        assertThat(abcd.picked(response)).isNull();
    }

    @Test
    void scoresOneOnlyForTheAnswersLetterWrittenAnyWay() {
        assertThat(abcd.score(Inputs.of("The answer is (B)", "B"))).isEqualTo(1.0);
        assertThat(abcd.score(Inputs.of("The answer is (B)", "(b)"))).isEqualTo(1.0);
        assertThat(abcd.score(Inputs.of("b", " B. "))).isEqualTo(1.0);
        assertThat(abcd.score(Inputs.of("The answer is (C)", "B"))).isZero();
        assertThat(abcd.score(Inputs.of("nothing", "B"))).isZero();
        // a reference that is not one of the letters scores 0, whatever the response
        assertThat(abcd.score(Inputs.of("E", "E"))).isZero();
        assertThat(abcd.score(Inputs.of("B", "Paris"))).isZero();
    }

    @Test
    void theDefaultLettersRunFromAToJ() {
        ChoiceReward ten = new ChoiceReward(ChoiceReward.DEFAULT_LETTERS);
        assertThat(ten.score(Inputs.of("The answer is (J)", "J"))).isEqualTo(1.0);
        assertThat(ten.picked("K")).isNull();
    }
}
