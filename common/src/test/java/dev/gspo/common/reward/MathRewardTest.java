package dev.gspo.common.reward;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every rule of {@link MathReward}: where the final answer is found, and which numbers are equal. */
class MathRewardTest {

    private static double score(String response, String answer) {
        return MathReward.INSTANCE.score(Inputs.of(response, answer));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" answers {1}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                // where the answer is: \boxed (last one, nested braces), ####, "answer is", else the last number
                "So the total is \\boxed{42}.                                    | 42",
                "First \\boxed{7}, corrected: \\boxed{42}                        | 42",
                "\\boxed{\\frac{3}{4}}                                            | 0.75",
                "\\fbox{42}                                                      | 42",
                "6 * 7 = 42\\n#### 42                                             | 42",
                "We get 40 + 2.\\n#### 42 \\nDone in 3 steps                       | 42",
                "The answer is 42.                                               | 42",
                "The answer is: 42                                               | 42",
                "Final Answer: 42                                                | 42",
                "answer = 42                                                     | 42",
                "The answer is 42 apples, since 6 baskets hold 7 each.           | 42",
                "The answer is\\n42                                               | 42",
                "3 apples and 4 apples make 7 apples, and doubled that is 14     | 14",
                "\\boxed{x = 5}                                                  | 5",
                "The answer is (B), which is 12                                  | 12",
                // numbers: decimals, trailing zeros, leading zeros and signs
                "42.0                                                            | 42",
                "42.00                                                           | 42",
                "+42                                                             | 42",
                "042                                                             | 42",
                "42                                                              | 42.0",
                ".5                                                              | 0.5",
                "The answer is 42..                                              | 42",
                // currency and units
                "$42                                                             | 42",
                "\\$42                                                           | 42",
                "The answer is $1,000.50.                                        | 1000.5",
                "It costs 42 dollars                                             | 42",
                "\\boxed{42 \\text{ km}}                                         | 42",
                "42km                                                            | 42",
                // thousands separators
                "1,000                                                           | 1000",
                "1,234,567                                                       | 1234567",
                "1{,}000                                                         | 1000",
                "1\\,000                                                          | 1000",
                // fractions
                "3/4                                                             | 0.75",
                "0.75                                                            | 3/4",
                "6/8                                                             | 3/4",
                "\\frac{3}{4}                                                    | 0.75",
                "\\dfrac{3}{4}                                                   | 3/4",
                "\\tfrac{1}{2}                                                   | 0.5",
                // negative numbers
                "-42                                                             | -42",
                "\u221242                                                        | -42",
                "The answer is -3/4                                              | -0.75",
                "-\\frac{1}{2}                                                   | -0.5",
                "\\frac{-1}{2}                                                   | -1/2",
                "x = -7                                                          | -7",
                // percent: the sign is dropped like a unit
                "50%                                                             | 50",
                "50\\%                                                           | 50",
                "The answer is 12.5%                                             | 12.5",
                "50                                                              | 50%",
                // the reference: a whole number, or a solution with its own final answer
                "42                                                              | #### 42",
                "42                                                              | `Half of 84 is 42.\\n#### 42`",
                "42                                                              | \\boxed{42}",
                "42                                                              | $42",
                "1000                                                            | 1,000",
                // a reference with no number is compared as normalised text
                "\\boxed{x^2}                                                    | x^2",
                "The answer is Paris.                                            | paris",
            })
    void scoresOneWhenTheFinalAnswerEqualsTheReference(String response, String answer) {
        assertThat(score(response.replace("\\n", "\n"), answer.replace("\\n", "\n")))
                .isEqualTo(1.0);
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" does not answer {1}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "420                                                     | 42",
                "4.2                                                     | 42",
                "42.5                                                    | 42",
                "-42                                                     | 42",
                "42                                                      | -42",
                "0.33                                                    | 1/3",
                "3/4                                                     | 4/3",
                "50%                                                     | 0.5",
                "0.5                                                     | 50%",
                "1.000                                                   | 1000",
                "1,000                                                   | 1",
                "1,000                                                   | 0",
                "The answer is 41, not 42.                               | 42",
                "\\boxed{41} although 42 also appears                    | 42",
                "#### 41\\nbut maybe 42                                   | 42",
                "6 * 7 = 42, so the answer is 43                         | 42",
                "5-42                                                    | -42",
                "x42                                                     | 42",
                "3/0                                                     | 3",
                "1e3                                                     | 1000",
                "no number at all                                        | 42",
                "``                                                      | 42",
                "\\boxed{y^2}                                            | x^2",
                "x^2                                                     | ``",
            })
    void scoresZeroOtherwise(String response, String answer) {
        assertThat(score(response.replace("\\n", "\n"), answer.replace("\\n", "\n")))
                .isZero();
    }
}
