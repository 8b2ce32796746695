package dev.gspo.optimizer.api;

import dev.gspo.common.model.InvalidModelException;
import dev.gspo.optimizer.run.RunConflictException;
import dev.gspo.optimizer.run.RunNotFoundException;
import dev.gspo.optimizer.runconfig.InvalidRunConfigException;
import java.net.URI;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;

/**
 * Maps every domain failure to an RFC 9457 problem (docs/ARCHITECTURE.md §6.1), once for the whole service: bad input is a 4xx with a
 * precise {@code detail}, never a 500 with a stack trace, and is logged at DEBUG at most (only a fault of the service
 * is an ERROR).
 */
@RestControllerAdvice
class ProblemDetails extends ResponseEntityExceptionHandler {
    static final String INTERNAL_DETAIL = "an unexpected error occurred; the optimizer log has the details";
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
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(problem(HttpStatus.UNAUTHORIZED, "Unauthorized", e.getMessage()));
    }

    @ExceptionHandler(PayloadTooLargeException.class)
    ResponseEntity<ProblemDetail> tooLarge(PayloadTooLargeException e) {
        // the rest of the body stays unread: Tomcat drains a little of it, then closes the connection
        return response(HttpStatus.CONTENT_TOO_LARGE, "Request body too large", e.getMessage());
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(
            HttpMessageNotReadableException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        PayloadTooLargeException tooLarge = cause(e, PayloadTooLargeException.class);
        if (tooLarge != null) {
            return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE)
                    .body(tooLarge(tooLarge).getBody());
        }
        log.debug("unreadable request body", e);
        return ResponseEntity.badRequest().body(problem(HttpStatus.BAD_REQUEST, "Malformed request body", detail(e)));
    }

    /** As the base class, without its WARN line per wrong method: bad input is not the service's problem. */
    @Override
    protected ResponseEntity<Object> handleHttpRequestMethodNotSupported(
            HttpRequestMethodNotSupportedException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        log.debug("{}", e.getMessage());
        return handleExceptionInternal(e, null, headers, status, request);
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ProblemDetail illegalArgument(IllegalArgumentException e) {
        return problem(HttpStatus.BAD_REQUEST, "Bad request", e.getMessage());
    }

    @ExceptionHandler(RuntimeException.class)
    ProblemDetail unexpected(RuntimeException e) {
        log.error("unexpected error", e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "Internal error", INTERNAL_DETAIL);
    }

    /**
     * What Jackson found wrong, where: the JSON path, its message without the parser's source description or Java
     * class names, and the line and column, e.g. {@code Duplicate Object property "steps" (line 1, column 22)}.
     */
    static String detail(HttpMessageNotReadableException e) {
        JacksonException j = cause(e, JacksonException.class);
        if (j == null) {
            return e.getMessage() != null && e.getMessage().startsWith("Required request body")
                    ? "a JSON body is required"
                    : "the body could not be read as JSON";
        }
        String message = String.valueOf(j.getOriginalMessage())
                .lines()
                .findFirst()
                .orElse("")
                .replaceAll("\\s*\\(class [^)]*\\)", "")
                .replaceAll("\\s*\\(start marker at .*$", "")
                .replaceAll("\\s*(at )?\\[Source:.*$", "");
        if (message.length() > 300) {
            message = message.substring(0, 300) + "…";
        }
        String path = j.getPath().stream()
                .map(r -> r.getPropertyName() != null ? "." + r.getPropertyName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining())
                .replaceFirst("^\\.", "");
        TokenStreamLocation at = j.getLocation();
        return (path.isEmpty() ? "" : path + ": ")
                + message
                + (at == null || at.getLineNr() < 1
                        ? ""
                        : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
    }

    static ResponseEntity<ProblemDetail> response(HttpStatus status, String title, String detail) {
        return ResponseEntity.status(status)
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(problem(status, title, detail));
    }

    private static ProblemDetail problem(HttpStatus status, String title, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setTitle(title);
        p.setType(URI.create("https://gspo.dev/problems/" + title.toLowerCase().replace(' ', '-')));
        return p;
    }

    private static <T extends Throwable> T cause(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }
}
