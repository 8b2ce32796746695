package dev.gspo.common.reward;

import dev.gspo.common.task.NormalizedExactMatchReward;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the final answer in free text and reads numbers exactly; the rules of {@link MathReward}.
 *
 * <p>A number is read as an exact fraction (two {@link BigInteger}s), so {@code 0.75 = 3/4 = 6/8 = \frac{3}{4}} hold
 * exactly and no tolerance is needed; {@code 0.33 ≠ 1/3}.
 */
final class MathAnswer {
    /** Longer digit strings are not read as numbers (a response of a million digits costs nothing). */
    static final int MAX_NUMBER_CHARS = 200;

    /** One unsigned decimal: {@code 1,000} (groups of exactly three), {@code 42}, {@code 3.14}, {@code .5}. */
    private static final String DECIMAL = "(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|\\.\\d+";
    /** A whole span that is a number: sign, decimal, optional {@code /decimal}, optional percent sign. */
    private static final Pattern WHOLE =
            Pattern.compile("([-+]?)\\s*(" + DECIMAL + ")(?:\\s*/\\s*(" + DECIMAL + "))?\\s*%?");
    /**
     * A number inside text: not glued to a word or a decimal point before it (so {@code 5-3} holds 5 and 3, not −3, and
     * {@code x2} holds none); a sign only where it cannot be a binary minus.
     */
    private static final Pattern IN_TEXT =
            Pattern.compile("(?<![\\w.])([-+]?)(" + DECIMAL + ")(?:/(" + DECIMAL + "))?");

    private static final Pattern HASHES = Pattern.compile("####[ \\t]*([^\\n]*)");
    private static final Pattern ANSWER_IS =
            Pattern.compile("(?i)\\banswer\\b(?:\\s+is\\b|\\s*[:=])\\s*:?[ \\t]*([^\\n]*)");
    private static final Pattern LATEX_TEXT = Pattern.compile("\\\\(?:text|textbf|mathrm|mbox)\\s*\\{([^{}]*)}");
    private static final Pattern LATEX_FRAC =
            Pattern.compile("\\\\[dt]?frac\\s*\\{\\s*([-+]?[\\d.,]+)\\s*}\\s*\\{\\s*([\\d.,]+)\\s*}");

    private MathAnswer() {}

    /** An exact rational number num/den with den &gt; 0, in lowest terms (so that {@code equals} is value equality). */
    record Value(BigInteger num, BigInteger den) {
        static Value of(BigInteger num, BigInteger den) {
            if (den.signum() == 0) {
                return null;
            }
            if (den.signum() < 0) {
                num = num.negate();
                den = den.negate();
            }
            BigInteger g = num.gcd(den);
            return g.signum() == 0 || g.equals(BigInteger.ONE)
                    ? new Value(num, den)
                    : new Value(num.divide(g), den.divide(g));
        }

        static Value decimal(String digits) {
            BigDecimal d = new BigDecimal(digits.replace(",", ""));
            return d.scale() <= 0
                    ? of(d.toBigIntegerExact(), BigInteger.ONE)
                    : of(d.unscaledValue(), BigInteger.TEN.pow(d.scale()));
        }

        Value dividedBy(Value other) {
            return other == null ? null : of(num.multiply(other.den), den.multiply(other.num));
        }
    }

    /** Whether {@code response}'s final answer equals {@code reference} (see {@link MathReward}). */
    static boolean matches(String response, String reference) {
        Value expected = referenceValue(reference);
        if (expected != null) {
            return expected.equals(finalValue(response));
        }
        String refSpan = explicitSpan(reference);
        String respSpan = explicitSpan(response);
        String want = NormalizedExactMatchReward.normalize(clean(refSpan != null ? refSpan : reference));
        String got = NormalizedExactMatchReward.normalize(clean(respSpan != null ? respSpan : response));
        return !want.isEmpty() && want.equals(got);
    }

    /** The reference as a number: the whole text, else its explicit final answer ({@code \boxed}, ####); or null. */
    static Value referenceValue(String reference) {
        Value whole = whole(reference);
        if (whole != null) {
            return whole;
        }
        String span = explicitSpan(reference);
        return span == null ? null : whole(span);
    }

    /**
     * The value of a response's final answer: the first of these rules that yields a number. 1. the last
     * {@code \boxed{…}} (or {@code \fbox{…}}), 2. the text after the last {@code ####}, 3. the text after the last
     * "answer is" / "answer:" (to the end of its line); in each, the whole span if it is a number, else the first number
     * in it. 4. The last number of the whole text. Null if there is none.
     */
    static Value finalValue(String response) {
        String text = clean(response);
        for (String span : new String[] {boxed(text), last(HASHES, text), last(ANSWER_IS, text)}) {
            if (span != null) {
                Value v = whole(span);
                if (v == null) {
                    v = number(span, true);
                }
                if (v != null) {
                    return v;
                }
            }
        }
        return number(text, false);
    }

    /** The span of the first explicit rule (boxed, ####, answer is) that finds one; null if none does. */
    static String explicitSpan(String text) {
        String t = clean(text);
        String boxed = boxed(t);
        if (boxed != null) {
            return boxed;
        }
        String hashes = last(HASHES, t);
        return hashes != null ? hashes : last(ANSWER_IS, t);
    }

    /** The whole of {@code span} read as one number, or null. */
    static Value whole(String span) {
        if (span == null) {
            return null;
        }
        String s = stripEnd(clean(span));
        if (s.length() > MAX_NUMBER_CHARS) {
            return null;
        }
        Matcher m = WHOLE.matcher(s);
        return m.matches() ? value(m) : null;
    }

    /** The first ({@code first}) or last number in {@code text}, or null. */
    static Value number(String text, boolean first) {
        Matcher m = IN_TEXT.matcher(text);
        Value found = null;
        while (m.find()) {
            Value v = m.group().length() > MAX_NUMBER_CHARS ? null : value(m);
            if (v != null) {
                if (first) {
                    return v;
                }
                found = v;
            }
        }
        return found;
    }

    private static Value value(Matcher m) {
        Value v = Value.decimal(m.group(2));
        if (m.group(3) != null) {
            v = v.dividedBy(Value.decimal(m.group(3)));
        }
        return v == null || !m.group(1).equals("-") ? v : Value.of(v.num().negate(), v.den());
    }

    /**
     * What stands between a written number and its digits: {@code $} (currency or math mode), LaTeX's {@code \text{…}}
     * (kept as text), {@code \left}/{@code \right}, thin spaces, {@code {,}}, {@code \%}, the Unicode minus sign, and
     * {@code \frac{a}{b}} (also {@code \dfrac}, {@code \tfrac}), which becomes {@code a/b}.
     */
    static String clean(String text) {
        if (text == null) {
            return "";
        }
        String t = text.replace('\u2212', '-')
                .replace("\\$", "")
                .replace("$", "")
                .replace("\\%", "%")
                .replace("{,}", ",")
                .replace("\\left", "")
                .replace("\\right", "")
                .replace("\\!", "")
                .replace("\\,", "")
                .replace("\\ ", " ");
        t = LATEX_TEXT.matcher(t).replaceAll(" $1 ");
        return LATEX_FRAC.matcher(t).replaceAll("$1/$2");
    }

    /** The content of the last {@code \boxed{…}} or {@code \fbox{…}} with balanced braces, or null. */
    static String boxed(String text) {
        int at = Math.max(text.lastIndexOf("\\boxed{"), text.lastIndexOf("\\fbox{"));
        if (at < 0) {
            return null;
        }
        int open = text.indexOf('{', at);
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return text.substring(open + 1, i);
            }
        }
        return null; // never closed
    }

    private static String last(Pattern p, String text) {
        Matcher m = p.matcher(text);
        String found = null;
        while (m.find()) {
            found = m.group(1);
        }
        return found;
    }

    /** Without surrounding whitespace and trailing periods ({@code "42."} ends a sentence). */
    private static String stripEnd(String s) {
        String t = s.strip();
        while (t.endsWith(".")) {
            t = t.substring(0, t.length() - 1).strip();
        }
        return t;
    }
}
