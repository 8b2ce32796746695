package dev.gspo.rollout.web;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a problem outside Spring MVC's return-value handling: from a servlet filter that refuses a request, or from
 * the error page. The body is what {@link ProblemHandler} would give (the application's JSON mapper, which flattens a
 * problem's properties); MVC's own writer is not used because it parses the raw request URI, which may be what was
 * refused ({@code /v1/policy;a=%}).
 */
@Component
public final class ProblemWriter {
    /** The {@code WWW-Authenticate} challenge of a 401: the service takes bearer credentials only. */
    public static final String BEARER_CHALLENGE = "Bearer";

    private final JsonMapper json;

    ProblemWriter(JsonMapper json) {
        this.json = json;
    }

    /** @param rawPath the request URI as received, for the problem's {@code instance} */
    public void write(HttpServletResponse response, ProblemDetail problem, String rawPath) throws IOException {
        problem.setInstance(Problems.instance(rawPath));
        response.setStatus(problem.getStatus());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        json.writeValue(response.getOutputStream(), problem);
    }
}
