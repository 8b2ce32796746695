package dev.gspo.common.reward;

import java.util.List;

/** Bound checks of the reward specs; each problem is "path.field: what is wrong". */
final class RewardChecks {
    private RewardChecks() {}

    static void between(List<String> p, String field, Integer v, int min, int max) {
        if (v != null && (v < min || v > max)) {
            p.add(field + ": must be between " + min + " and " + max + ", got " + v);
        }
    }

    /** v in (lo, hi], finite. */
    static void positive(List<String> p, String field, Double v, double hi) {
        if (v != null && (!Double.isFinite(v) || v <= 0 || v > hi)) {
            p.add(field + ": must be in (0, " + hi + "], got " + v);
        }
    }

    static void pattern(List<String> p, String field, String pattern) {
        if (pattern == null || pattern.isEmpty()) {
            p.add(field + ": required (a regular expression)");
        } else if (pattern.length() > 1000) {
            p.add(field + ": at most 1000 characters, got " + pattern.length());
        } else {
            String error = RegexReward.syntaxError(pattern);
            if (error != null) {
                p.add(field + ": not a valid regular expression: " + error);
            }
        }
    }

    static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    static void requireValid(RewardSpec spec) {
        List<String> problems = spec.problems("rewards(" + spec.fn() + ")");
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }
}
