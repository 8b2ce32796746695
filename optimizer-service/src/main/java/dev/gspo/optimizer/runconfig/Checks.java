package dev.gspo.optimizer.runconfig;

import java.util.List;

/** Bound checks of the run config's sections; each problem is "section.field: what is wrong". */
final class Checks {
    private Checks() {}

    static void between(List<String> p, String field, Integer v, int min, int max) {
        if (v != null && (v < min || v > max)) {
            p.add(field + ": must be between " + min + " and " + max + ", got " + v);
        }
    }

    static void between(List<String> p, String field, Long v, long min, long max) {
        if (v != null && (v < min || v > max)) {
            p.add(field + ": must be between " + min + " and " + max + ", got " + v);
        }
    }

    /** v in (lo, hi] or, with {@code loInclusive}, [lo, hi]; finite. */
    static void range(List<String> p, String field, Double v, double lo, double hi, boolean loInclusive) {
        if (v != null && (!Double.isFinite(v) || v > hi || (loInclusive ? v < lo : v <= lo))) {
            p.add(field + ": must be in " + (loInclusive ? "[" : "(") + lo + ", " + hi + "], got " + v);
        }
    }

    static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
