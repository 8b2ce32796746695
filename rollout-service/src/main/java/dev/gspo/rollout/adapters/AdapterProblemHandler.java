package dev.gspo.rollout.adapters;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** {@link AdapterProblem} → {@code application/problem+json} with its {@code reason} and properties. */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE) // before the service's catch-all handler
class AdapterProblemHandler {

    @ExceptionHandler
    ResponseEntity<ProblemDetail> adapterProblem(AdapterProblem e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(e.status(), e.getMessage());
        p.setTitle(e.title());
        p.setProperty("reason", e.reason());
        e.properties().forEach(p::setProperty);
        return ResponseEntity.status(e.status())
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(p);
    }
}
