package dev.gspo.common.reward;

import java.util.regex.Pattern;

/**
 * {@code format}: 1 if the whole response has the expected shape, else 0. The pattern must match the entire response
 * ({@link java.util.regex.Matcher#matches()}), with {@code .} matching newlines ({@link Pattern#DOTALL}).
 *
 * <p>The default, {@link #THINK_THEN_ANSWER}, is the reasoning format of R1-style training: optional leading
 * whitespace, exactly one {@code <think>…</think>} block with something other than whitespace in it, then a non-blank
 * answer with no further think tag. {@code "<think>7*6 is 42</think> 42"} scores 1; {@code "42"},
 * {@code "<think>x</think>"} (no answer), {@code "<think> </think> 42"} (empty reasoning),
 * {@code "<think>a</think> 42 <think>b</think>"} and {@code "<think>a</think> 4 </think> 2"} score 0. The default uses
 * only lookaheads, an atomic group and single-character loops, which Java's regex engine runs without recursion, so it
 * holds on responses of any length. A response on which the engine gives up scores 0.
 */
public final class FormatReward implements SampleReward {
    /**
     * The default pattern: {@code <think>}, then (no other {@code <think>} anywhere after it; not only whitespace
     * before the close) everything up to the first {@code </think>}, then (no think tag anywhere after) a non-blank
     * answer.
     */
    public static final String THINK_THEN_ANSWER =
            "\\s*<think>(?!.*<think>)(?!\\s*</think>)(?>.*?</think>)(?!.*</?think>)\\s*\\S.*";

    private final Pattern pattern;

    /** @throws java.util.regex.PatternSyntaxException if {@code pattern} is not a valid regular expression */
    public FormatReward(String pattern) {
        this.pattern = Pattern.compile(pattern, Pattern.DOTALL);
    }

    @Override
    public double score(RewardInput input) {
        try {
            return pattern.matcher(input.response()).matches() ? 1.0 : 0.0;
        } catch (RuntimeException | StackOverflowError e) {
            return 0.0;
        }
    }
}
