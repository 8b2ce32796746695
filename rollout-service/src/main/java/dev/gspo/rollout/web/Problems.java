package dev.gspo.rollout.web;

import dev.gspo.rollout.validation.InvalidRequestException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.springframework.http.ProblemDetail;
import org.springframework.web.util.UriUtils;

/** Problem bodies shared by {@link ProblemHandler} and {@link ProblemWriter}. */
final class Problems {
    private Problems() {}

    /** The problem of a request that breaks the contract or a limit, with every violation in {@code errors}. */
    static ProblemDetail of(InvalidRequestException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(e.status(), e.getMessage());
        p.setTitle(
                switch (e.status()) {
                    case BAD_REQUEST -> "Invalid request";
                    case UNPROCESSABLE_CONTENT -> "Request does not fit the model";
                    default -> e.status().getReasonPhrase();
                });
        p.setProperty("errors", e.violations());
        return p;
    }

    /**
     * The {@code instance} of a problem from a raw request URI, which may not be a valid URI (a {@code %} in a path
     * parameter): then its characters are encoded, so that writing the problem cannot fail on its own instance.
     */
    static URI instance(String rawPath) {
        try {
            return URI.create(rawPath);
        } catch (IllegalArgumentException notAUri) {
            return URI.create(UriUtils.encodePath(rawPath, StandardCharsets.UTF_8));
        }
    }
}
