package dev.gspo.optimizer.api;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The servlet container's error page ({@code /error}, where Tomcat forwards a response that failed before Spring MVC
 * could answer it) as a problem document instead of Boot's {@code {"status":999,…}}. A direct request for
 * {@code /error} is a 404: there is no such resource.
 */
@RestController
@RequestMapping("${server.error.path:/error}")
class ProblemErrorController implements ErrorController {

    @RequestMapping
    ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        if (request.getDispatcherType() != DispatcherType.ERROR || !(code instanceof Integer status)) {
            return ProblemDetails.response(HttpStatus.NOT_FOUND, "Not found", "no endpoint " + request.getRequestURI());
        }
        HttpStatus resolved = HttpStatus.resolve(status);
        HttpStatus s = resolved == null ? HttpStatus.INTERNAL_SERVER_ERROR : resolved;
        String path = String.valueOf(request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI));
        String detail = s.is5xxServerError()
                ? ProblemDetails.INTERNAL_DETAIL
                : s == HttpStatus.NOT_FOUND
                        ? "no endpoint " + path
                        : s.getReasonPhrase() + " (" + request.getMethod() + " " + path + ")";
        return ProblemDetails.response(s, s.getReasonPhrase(), detail);
    }
}
