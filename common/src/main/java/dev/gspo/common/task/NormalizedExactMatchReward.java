package dev.gspo.common.task;

import java.util.Locale;

/**
 * 1 if the completion up to the first stop marker equals the answer after both are
 * {@linkplain #normalize normalised}; else 0.
 *
 * <p>Used for datasets of free-text answers, where capitalisation, spacing and a final full stop
 * ("Paris." vs "paris") are style, not correctness.
 */
public enum NormalizedExactMatchReward implements RewardFunction {
    INSTANCE;

    @Override
    public double score(String completion, String answer) {
        if (answer == null) {
            return 0.0;
        }
        return normalize(RewardFunction.untilStop(completion)).equals(normalize(answer)) ? 1.0 : 0.0;
    }

    /**
     * Lower-case ({@link Locale#ROOT}), collapse every run of whitespace ({@link Character#isWhitespace})
     * into one space, trim, then remove trailing periods and trim again:
     * {@code "  The  Eiffel\tTower. "} → {@code "the eiffel tower"}. Internal periods stay
     * ({@code "3.14"}).
     */
    public static String normalize(String text) {
        if (text == null) {
            return "";
        }
        String lower = text.toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(lower.length());
        boolean pendingSpace = false;
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            if (Character.isWhitespace(c)) {
                pendingSpace = out.length() > 0;
            } else {
                if (pendingSpace) {
                    out.append(' ');
                    pendingSpace = false;
                }
                out.append(c);
            }
        }
        int end = out.length();
        while (end > 0 && (out.charAt(end - 1) == '.' || out.charAt(end - 1) == ' ')) {
            end--;
        }
        return out.substring(0, end);
    }
}
