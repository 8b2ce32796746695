package dev.gspo.common.task;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed access to a task's parameters as they arrive from JSON or properties (numbers or
 * strings), failing fast with the offending key and value.
 */
final class TaskParameters {

    private final String task;
    private final Map<String, ?> values;

    TaskParameters(String task, Map<String, ?> values) {
        this.task = task;
        this.values = values == null ? Map.of() : values;
    }

    /** Rejects keys outside {@code allowed}, naming them and the allowed ones. */
    TaskParameters allowOnly(Set<String> allowed) {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(allowed);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(
                    "task '" + task + "': unknown parameter(s) " + unknown + "; known: " + new TreeSet<>(allowed));
        }
        return this;
    }

    int intValue(String key, int defaultValue) {
        Object v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            if (v instanceof Number n) {
                double d = n.doubleValue();
                if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                    throw new NumberFormatException();
                }
                return (int) d;
            }
            return Integer.parseInt(v.toString().strip());
        } catch (NumberFormatException e) {
            throw invalid(key, v, "an integer");
        }
    }

    double doubleValue(String key, double defaultValue) {
        Object v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            return v instanceof Number n
                    ? n.doubleValue()
                    : Double.parseDouble(v.toString().strip());
        } catch (NumberFormatException e) {
            throw invalid(key, v, "a number");
        }
    }

    Optional<String> string(String key) {
        Object v = values.get(key);
        return v == null || v.toString().isBlank() ? Optional.empty() : Optional.of(v.toString());
    }

    String requiredString(String key) {
        return string(key)
                .orElseThrow(
                        () -> new IllegalArgumentException("task '" + task + "': parameter '" + key + "' is required"));
    }

    boolean has(String key) {
        return string(key).isPresent();
    }

    private IllegalArgumentException invalid(String key, Object value, String expected) {
        return new IllegalArgumentException(
                "task '" + task + "': parameter '" + key + "' must be " + expected + ", got '" + value + "'");
    }
}
