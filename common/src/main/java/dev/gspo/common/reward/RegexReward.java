package dev.gspo.common.reward;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code regex}: {@code score} if the pattern is found anywhere in the response ({@link Matcher#find()}), else 0.
 *
 * <p>{@value #ANSWER} in the pattern stands for the example's reference answer, matched literally:
 * {@code "Final: *{answer}$"} rewards a response that ends with the right answer after "Final:". Flags go inline
 * ({@code (?i)} case-insensitive, {@code (?s)} dot matches newlines, {@code (?m)} ^ and $ per line). A response on which
 * the regex engine gives up (a pattern that recurses too deep on a long response) scores 0.
 */
public final class RegexReward implements SampleReward {
    /** The placeholder for the reference answer. */
    public static final String ANSWER = "{answer}";

    private final String pattern;
    private final double score;
    /** The compiled pattern when it has no placeholder; else compiled per answer. */
    private final Pattern fixed;

    /**
     * @param pattern a {@link Pattern}, {@value #ANSWER} a placeholder for the answer
     * @param score   the score of a match
     * @throws PatternSyntaxException if {@code pattern} is not a valid regular expression
     */
    public RegexReward(String pattern, double score) {
        this.pattern = pattern;
        this.score = score;
        Pattern sample = compile(pattern, "42"); // fails fast on a bad pattern
        this.fixed = pattern.contains(ANSWER) ? null : sample;
    }

    @Override
    public double score(RewardInput input) {
        try {
            Pattern p = fixed != null ? fixed : compile(pattern, input.answer());
            return p.matcher(input.response()).find() ? score : 0.0;
        } catch (RuntimeException | StackOverflowError e) {
            return 0.0;
        }
    }

    private static Pattern compile(String pattern, String answer) {
        return Pattern.compile(pattern.replace(ANSWER, Pattern.quote(answer)));
    }

    /** Why {@code pattern} is not a valid regex, in one line (the syntax error and its position), or null if it is. */
    public static String syntaxError(String pattern) {
        try {
            compile(pattern, "42");
            return null;
        } catch (PatternSyntaxException e) {
            return e.getDescription() + (e.getIndex() >= 0 ? " at index " + e.getIndex() : "");
        }
    }
}
