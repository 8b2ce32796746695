package dev.gspo.common.task;

import java.util.List;

/** Bound checks shared by the task specs; each problem names its field as {@code task.<field>}. */
final class SpecChecks {
    private SpecChecks() {}

    static void between(List<String> problems, String field, Integer value, int min, int max) {
        if (value != null && (value < min || value > max)) {
            problems.add("task." + field + ": must be between " + min + " and " + max + ", got " + value);
        }
    }

    static void ordered(List<String> problems, String lowField, Integer low, String highField, Integer high) {
        if (low != null && high != null && low > high) {
            problems.add("task." + lowField + ": " + low + " exceeds task." + highField + " " + high);
        }
    }

    static void requireValid(TaskSpec spec) {
        List<String> problems = spec.problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }
}
