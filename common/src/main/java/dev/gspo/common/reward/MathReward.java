package dev.gspo.common.reward;

/**
 * {@code math}: 1 if the final answer of a free-text response equals the reference answer, else 0.
 *
 * <p><b>Which part of the response is the answer</b>: the first of these rules that yields a number wins.
 * <ol>
 *   <li>the last {@code \boxed{…}} (or {@code \fbox{…}}; nested braces allowed);</li>
 *   <li>the text after the last {@code ####} (GSM8K's marker), to the end of its line;</li>
 *   <li>the text after the last "answer is" / "answer:" / "answer =" (any case), to the end of its line;</li>
 * </ol>
 * in each, the whole text if it is one number, else the first number in it ({@code "The answer is 42 apples."} → 42);
 * <ol start="4"><li>else the last number anywhere in the response.</li></ol>
 *
 * <p><b>How numbers compare</b>: both sides are read as exact fractions and compared by value.
 * <ul>
 *   <li>{@code 42 = 42.0 = 42.00 = +42 = 042}; {@code 42.5 ≠ 42}, {@code 420 ≠ 42}, {@code 4.2 ≠ 42};</li>
 *   <li>{@code $42}, {@code \$42}, {@code 42 dollars}, {@code \text{42 km}} are 42: currency signs and units go;</li>
 *   <li>{@code 1,000 = 1000}: commas only between groups of exactly three digits ({@code 1,000} is never "1" then
 *       "000"); a period is always the decimal point ({@code 1.000 = 1});</li>
 *   <li>{@code 3/4 = 0.75 = 6/8 = \frac{3}{4} = \dfrac{3}{4}}; {@code 0.33 ≠ 1/3} (exact, no tolerance);
 *       {@code 3/0} is no number;</li>
 *   <li>negative numbers: {@code -42}, {@code −42} (Unicode minus), {@code -\frac{1}{2}}; {@code -42 ≠ 42}; in text a
 *       minus glued to a preceding word or digit is an operator ({@code 5-3} holds 5 and 3, not −3);</li>
 *   <li>percent: the sign is dropped like a unit, so {@code 50% = 50} and {@code 50% ≠ 0.5}. Datasets write "50" for
 *       an answer "50%" (GSM8K does), and a model that writes the percent sign means the same number; a reference of
 *       0.5 is a different number;</li>
 *   <li>not read: scientific notation ({@code 1e3} reads as 1), spelled-out numbers, mixed fractions
 *       ({@code 1 1/2}), numbers longer than 200 characters.</li>
 * </ul>
 * The reference answer is read as a whole ({@code "72"}, {@code "-3/4"}); if it is not a number, its own explicit
 * final answer counts (a whole GSM8K solution ending in {@code "#### 72"} reads as 72). A reference that holds no number
 * ({@code "x^2"}) is compared as text: the response's explicit final answer (rules 1–3, else the whole response) must
 * equal it after both are normalised like {@code exact}.
 */
public enum MathReward implements SampleReward {
    INSTANCE;

    @Override
    public double score(RewardInput input) {
        return MathAnswer.matches(input.response(), input.answer()) ? 1.0 : 0.0;
    }
}
