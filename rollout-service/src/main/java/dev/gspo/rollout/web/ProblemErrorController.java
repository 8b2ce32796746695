package dev.gspo.rollout.web;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;

/**
 * The servlet container's error page ({@code /error}, replacing Spring Boot's JSON one) as an RFC 9457 problem. It
 * answers what never reached a controller: an error Tomcat sent inside the application (e.g. {@code TRACE}, 405) or an
 * exception thrown by a filter. Requested directly, {@code /error} is a path like any unknown one: 404 (Boot's page
 * answered a direct request with a 500).
 *
 * <p>Written with {@link ProblemWriter}, not returned to Spring MVC, whose writer parses the original request URI:
 * Tomcat forwards here requests it rejected before any filter looked at their path. Client errors are logged at
 * DEBUG; a 5xx here is a fault of the service, logged at ERROR with its exception.
 */
@Controller
class ProblemErrorController implements ErrorController {
    private static final Logger log = LoggerFactory.getLogger(ProblemErrorController.class);

    private final ProblemWriter problems;

    ProblemErrorController(ProblemWriter problems) {
        this.problems = problems;
    }

    @RequestMapping("${server.error.path:/error}")
    void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        if (request.getDispatcherType() != DispatcherType.ERROR || !(code instanceof Integer status)) {
            ProblemDetail p = ProblemDetail.forStatusAndDetail(
                    HttpStatus.NOT_FOUND, "no endpoint " + request.getMethod() + " " + request.getRequestURI());
            problems.write(response, p, request.getRequestURI());
            return;
        }
        String path = String.valueOf(request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI));
        HttpStatus resolved = HttpStatus.resolve(status);
        HttpStatus httpStatus = resolved != null ? resolved : HttpStatus.INTERNAL_SERVER_ERROR;
        Throwable failure = (Throwable) request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
        String detail;
        if (httpStatus.is5xxServerError()) {
            log.error("{} {} failed with {}", request.getMethod(), path, status, failure);
            detail = failure != null
                    ? "internal error (" + failure.getClass().getSimpleName() + "); see the service log"
                    : httpStatus.getReasonPhrase();
        } else {
            log.debug("{} {} answered {}", request.getMethod(), path, status, failure);
            detail = switch (httpStatus) {
                case NOT_FOUND -> "no endpoint at " + path;
                case METHOD_NOT_ALLOWED -> "the method is not supported here; Allow lists those that are";
                default -> httpStatus.getReasonPhrase();
            };
        }
        problems.write(response, ProblemDetail.forStatusAndDetail(httpStatus, detail), path);
    }
}
