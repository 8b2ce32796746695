package dev.gspo.rollout.web;

import dev.gspo.common.replica.RejectedWeightsException;
import dev.gspo.rollout.auth.NotAuthorizedException;
import dev.gspo.rollout.batching.DecoderStoppedException;
import dev.gspo.rollout.batching.QueueFullException;
import dev.gspo.rollout.batching.RolloutTimeoutException;
import dev.gspo.rollout.validation.InvalidRequestException;
import dev.gspo.rollout.validation.Violation;
import dev.gspo.rollout.weights.PolicyBehindException;
import dev.gspo.rollout.weights.PushInProgressException;
import dev.gspo.rollout.weights.StaleVersionException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * The one place exceptions become HTTP: RFC 9457 {@code application/problem+json} with a precise {@code detail}, and
 * for request errors an {@code errors} list of {@code {field, message}}. Spring MVC's own errors (415, 405, 406, …)
 * come from the base class as problems too. Never a stack trace in a body; a 500 only for a fault of the service.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);
    private static final String RETRY_AFTER_SECONDS = "1";
    private static final HttpHeaders PROBLEM_HEADERS = problemHeaders();

    @ExceptionHandler
    ResponseEntity<ProblemDetail> invalid(InvalidRequestException e) {
        return problem(Problems.of(e));
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> tooLarge(PayloadTooLargeException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE, e.getMessage());
        p.setProperty("errors", List.of(new Violation("body", e.getMessage())));
        return problem(p);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> behind(PolicyBehindException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, e.getMessage());
        p.setTitle("Policy version behind");
        p.setProperty("policyVersion", e.served());
        return problem(p);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> stale(StaleVersionException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, e.getMessage());
        p.setTitle("Stale policy version");
        p.setProperty("policyVersion", e.served());
        return problem(p);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> unauthorized(NotAuthorizedException e) {
        ResponseEntity.BodyBuilder b =
                ResponseEntity.status(e.status()).contentType(MediaType.APPLICATION_PROBLEM_JSON);
        if (e.missingCredentials()) {
            b.header(HttpHeaders.WWW_AUTHENTICATE, ProblemWriter.BEARER_CHALLENGE);
        }
        return b.body(ProblemDetail.forStatusAndDetail(e.status(), e.getMessage()));
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> rejectedWeights(RejectedWeightsException e) {
        HttpStatus status =
                switch (e.reason()) {
                    case INCOMPATIBLE -> HttpStatus.UNPROCESSABLE_CONTENT;
                    case BASE_MISMATCH -> HttpStatus.CONFLICT;
                    default -> HttpStatus.BAD_REQUEST;
                };
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, e.getMessage());
        p.setTitle("Weights rejected");
        p.setProperty("reason", e.reason().name().toLowerCase(java.util.Locale.ROOT));
        return problem(p);
    }

    @ExceptionHandler({QueueFullException.class, RolloutTimeoutException.class, DecoderStoppedException.class})
    ResponseEntity<ProblemDetail> unavailable(RuntimeException e) {
        return retryLater(ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, e.getMessage()));
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> pushInProgress(PushInProgressException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, e.getMessage());
        p.setTitle("Push in progress");
        return retryLater(p);
    }

    private static ResponseEntity<ProblemDetail> retryLater(ProblemDetail p) {
        return ResponseEntity.status(p.getStatus())
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS)
                .body(p);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        log.error("unexpected error", e);
        return problem(ProblemDetail.forStatusAndDetail(
                HttpStatus.INTERNAL_SERVER_ERROR,
                "internal error (" + e.getClass().getSimpleName() + "); see the service log"));
    }

    /** Malformed JSON, wrong types, unknown fields: 400 naming the JSON path. */
    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(
            HttpMessageNotReadableException ex, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        PayloadTooLargeException tooLarge = cause(ex, PayloadTooLargeException.class);
        if (tooLarge != null) {
            return new ResponseEntity<>(tooLarge(tooLarge).getBody(), PROBLEM_HEADERS, HttpStatus.CONTENT_TOO_LARGE);
        }
        Violation v = JsonErrors.describe(ex);
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, v.toString());
        p.setTitle("Unreadable request body");
        p.setProperty("errors", List.of(v));
        return new ResponseEntity<>(p, PROBLEM_HEADERS, HttpStatus.BAD_REQUEST);
    }

    /**
     * Spring MVC's own errors (404, 405, 406, 415, …) with their content type set: content negotiation on an error
     * must not fail too (an unparseable {@code Accept} turned a 406 into an empty answer).
     */
    @Override
    protected ResponseEntity<Object> createResponseEntity(
            @Nullable Object body, HttpHeaders headers, HttpStatusCode statusCode, WebRequest request) {
        HttpHeaders withType = new HttpHeaders();
        withType.putAll(headers);
        if (body instanceof ProblemDetail) {
            withType.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        }
        return new ResponseEntity<>(body, withType, statusCode);
    }

    private static ResponseEntity<ProblemDetail> problem(ProblemDetail p) {
        return ResponseEntity.status(p.getStatus())
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(p);
    }

    private static HttpHeaders problemHeaders() {
        HttpHeaders h = new HttpHeaders();
        h.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return HttpHeaders.readOnlyHttpHeaders(h);
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
