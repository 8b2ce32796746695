package dev.gspo.rollout.validation;

/** One thing wrong with a request: the JSON path or header that is wrong, and why (with the limit, if one). */
public record Violation(String field, String message) {
    @Override
    public String toString() {
        return field + ": " + message;
    }
}
