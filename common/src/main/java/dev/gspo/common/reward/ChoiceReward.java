package dev.gspo.common.reward;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code choice}: 1 if the multiple-choice letter a response picks is the answer's letter, else 0.
 *
 * <p><b>The letter the response picks</b>: the first of these rules that finds one of {@code letters} wins.
 * <ol>
 *   <li>the whole response is one letter, alone or in parentheses, brackets or followed by {@code .}, {@code )} or
 *       {@code :} ({@code "B"}, {@code "(b)"}, {@code "B."}), in either case;</li>
 *   <li>the last {@code \boxed{X}};</li>
 *   <li>the last "answer is" / "answer:" (any case), optionally followed by "option" or "choice", then the letter:
 *       in parentheses in either case, or bare in upper case and not the start of a word ({@code "The answer is (B)"},
 *       {@code "Answer: C"}, {@code "the correct answer is option (d)"}; {@code "the answer is Apple"} picks nothing);</li>
 *   <li>the last upper-case letter in parentheses anywhere ({@code "… so I choose (C)."}).</li>
 * </ol>
 * A lower-case letter outside parentheses in free text is never taken: "a" is a word.
 *
 * <p><b>The answer's letter</b>: the reference without surrounding whitespace, parentheses or a trailing period, in
 * upper case ({@code "B"}, {@code "(b)"}, {@code "B."}); a reference that is not one of {@code letters} scores 0
 * whatever the response.
 */
public final class ChoiceReward implements SampleReward {
    /** The default letters: A to J (MMLU-Pro has ten options). */
    public static final String DEFAULT_LETTERS = "ABCDEFGHIJ";

    private final String letters;
    private final Pattern alone;
    private final Pattern boxed;
    private final Pattern answerIs;
    private final Pattern inParentheses;

    /** @param letters the option letters, upper case, e.g. {@code "ABCD"} */
    public ChoiceReward(String letters) {
        if (letters.isEmpty() || !letters.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
            throw new IllegalArgumentException("letters must be upper-case A-Z, got '" + letters + "'");
        }
        this.letters = letters;
        String upper = "[" + letters + "]";
        String any = "[" + letters + letters.toLowerCase(Locale.ROOT) + "]";
        this.alone = Pattern.compile("\\s*[(\\[]?(" + any + ")[)\\].:]?\\s*");
        this.boxed = Pattern.compile("\\\\boxed\\{\\s*(" + any + ")\\s*}");
        this.answerIs = Pattern.compile("(?i:\\banswer\\b(?:\\s+is\\b|\\s*[:=])\\s*:?\\s*(?:(?:option|choice)\\s+)?)"
                + "(?:\\((" + any + ")\\)|(" + upper + ")(?![\\p{L}\\d]))");
        this.inParentheses = Pattern.compile("\\((" + upper + ")\\)");
    }

    @Override
    public double score(RewardInput input) {
        String want = reference(input.answer());
        return want != null && want.equals(picked(input.response())) ? 1.0 : 0.0;
    }

    /** The letter the response picks (upper case), or null. */
    String picked(String response) {
        Matcher m = alone.matcher(response);
        if (m.matches()) {
            return m.group(1).toUpperCase(Locale.ROOT);
        }
        for (Pattern p : new Pattern[] {boxed, answerIs, inParentheses}) {
            String last = null;
            m = p.matcher(response);
            while (m.find()) {
                last = m.group(1) != null ? m.group(1) : m.group(m.groupCount());
            }
            if (last != null) {
                return last.toUpperCase(Locale.ROOT);
            }
        }
        return null;
    }

    /** The reference's letter (upper case), or null if it is not one of the letters. */
    String reference(String answer) {
        Matcher m = alone.matcher(answer);
        return m.matches() ? m.group(1).toUpperCase(Locale.ROOT) : null;
    }

    public String letters() {
        return letters;
    }
}
