package dev.gspo.rollout.validation;

import java.util.List;
import java.util.stream.Collectors;
import org.springframework.http.HttpStatus;

/**
 * A request that breaks the contract or a limit. {@code 400} for malformed or out-of-range input, {@code 422} for
 * input that is well-formed but does not fit the served model (a token id outside the vocabulary, a prompt too long
 * for its positions); other 4xx where a filter refuses a request's form (415 for a wildcard content type).
 */
public final class InvalidRequestException extends RuntimeException {
    private final HttpStatus status;
    private final List<Violation> violations;

    public InvalidRequestException(HttpStatus status, List<Violation> violations) {
        super(violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
        this.status = status;
        this.violations = List.copyOf(violations);
    }

    public static InvalidRequestException badRequest(String field, String message) {
        return new InvalidRequestException(HttpStatus.BAD_REQUEST, List.of(new Violation(field, message)));
    }

    public HttpStatus status() {
        return status;
    }

    public List<Violation> violations() {
        return violations;
    }
}
