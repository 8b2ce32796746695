package dev.gspo.optimizer.api;

import dev.gspo.common.model.InvalidModelException;
import dev.gspo.optimizer.run.RunConflictException;
import dev.gspo.optimizer.run.RunNotFoundException;
import dev.gspo.optimizer.runconfig.InvalidRunConfigException;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Maps every domain failure to an RFC 9457 problem (docs/ARCHITECTURE.md §6.1), once for the whole service: bad input is a 4xx with a
 * precise {@code detail}, never a 500 with a stack trace.
 */
@RestControllerAdvice
class ProblemDetails extends ResponseEntityExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ProblemDetails.class);

    @ExceptionHandler(InvalidRunConfigException.class)
    ProblemDetail invalidConfig(InvalidRunConfigException e) {
        ProblemDetail p = e.malformed()
                ? problem(HttpStatus.BAD_REQUEST, "Malformed run config", e.getMessage())
                : problem(HttpStatus.UNPROCESSABLE_CONTENT, "Invalid run config", e.getMessage());
        p.setProperty("errors", e.problems());
        return p;
    }

    @ExceptionHandler(InvalidModelException.class)
    ProblemDetail invalidModel(InvalidModelException e) {
        return problem(HttpStatus.UNPROCESSABLE_CONTENT, "Invalid checkpoint or model", e.getMessage());
    }

    @ExceptionHandler(RunConflictException.class)
    ProblemDetail conflict(RunConflictException e) {
        return problem(HttpStatus.CONFLICT, "Run conflict", e.getMessage());
    }

    @ExceptionHandler(RunNotFoundException.class)
    ProblemDetail notFound(RunNotFoundException e) {
        return problem(HttpStatus.NOT_FOUND, "Run not found", e.getMessage());
    }

    @ExceptionHandler(BearerToken.UnauthorizedException.class)
    ResponseEntity<ProblemDetail> unauthorized(BearerToken.UnauthorizedException e) {
        return ResponseEntity.status(HttpStatus.UNAUTHORIZED)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .body(problem(HttpStatus.UNAUTHORIZED, "Unauthorized", e.getMessage()));
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(
            HttpMessageNotReadableException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        // Jackson's message names the field and the position; the cause chain (with class names) stays in the log
        String detail = e.getMostSpecificCause().getMessage();
        if (detail != null && detail.length() > 500) {
            detail = detail.substring(0, 500) + "…";
        }
        return ResponseEntity.badRequest()
                .body(problem(
                        HttpStatus.BAD_REQUEST,
                        "Malformed request body",
                        detail == null
                                ? "the body could not be read as JSON"
                                : detail.replaceAll("\\(class [^)]*\\)", "")));
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ProblemDetail illegalArgument(IllegalArgumentException e) {
        return problem(HttpStatus.BAD_REQUEST, "Bad request", e.getMessage());
    }

    @ExceptionHandler(RuntimeException.class)
    ProblemDetail unexpected(RuntimeException e) {
        log.error("unexpected error", e);
        return problem(
                HttpStatus.INTERNAL_SERVER_ERROR,
                "Internal error",
                "an unexpected error occurred; the optimizer log has the details");
    }

    private static ProblemDetail problem(HttpStatus status, String title, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setTitle(title);
        p.setType(URI.create("https://gspo.dev/problems/" + title.toLowerCase().replace(' ', '-')));
        return p;
    }
}
