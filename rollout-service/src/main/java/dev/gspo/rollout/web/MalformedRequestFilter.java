package dev.gspo.rollout.web;

import dev.gspo.rollout.validation.InvalidRequestException;
import dev.gspo.rollout.validation.Violation;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.RequestPath;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses, first of all filters, requests that Spring MVC cannot even parse, which its exception handlers never see:
 *
 * <ul>
 *   <li>a path it cannot decode: Tomcat decodes the path but passes {@code ;} path parameters through undecoded, so
 *       {@code /v1/policy;a=%} reached the dispatcher, whose path parser threw outside every handler (a 500, logged
 *       twice with a stack trace) — 400;
 *   <li>a {@code Content-Type} that is a wildcard ({@code *}{@code /*}): not a media type a body can have, and Spring
 *       asserts on it while answering a 404 — 415.
 * </ul>
 *
 * The answer has the body {@link ProblemHandler} gives any other request error.
 */
@Component
class MalformedRequestFilter extends OncePerRequestFilter implements Ordered {
    private static final Logger log = LoggerFactory.getLogger(MalformedRequestFilter.class);

    private final ProblemWriter problems;

    MalformedRequestFilter(ProblemWriter problems) {
        this.problems = problems;
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String uri = request.getRequestURI();
        try {
            // what the dispatcher and the problem writer will do with it
            RequestPath.parse(uri, request.getContextPath());
            URI.create(uri);
        } catch (IllegalArgumentException e) {
            log.debug("refused an undecodable request path: {}", e.getMessage());
            refuse(
                    request,
                    response,
                    HttpStatus.BAD_REQUEST,
                    "path",
                    "the request path cannot be decoded: every '%' must start a %XX escape of two hex digits, in"
                            + " ';' path parameters too");
            return;
        }
        String contentType = request.getContentType();
        if (contentType != null && isWildcard(contentType)) {
            log.debug("refused a wildcard Content-Type");
            refuse(
                    request,
                    response,
                    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    HttpHeaders.CONTENT_TYPE,
                    "must be a concrete media type (such as application/json), not a wildcard");
            return;
        }
        chain.doFilter(request, response);
    }

    private static boolean isWildcard(String contentType) {
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return type.isWildcardType() || type.isWildcardSubtype();
        } catch (InvalidMediaTypeException unparseable) {
            return false; // Spring ignores it where no body is read and answers 415 where one is
        }
    }

    private void refuse(
            HttpServletRequest request, HttpServletResponse response, HttpStatus status, String field, String message)
            throws IOException {
        InvalidRequestException e = new InvalidRequestException(status, List.of(new Violation(field, message)));
        problems.write(response, Problems.of(e), request.getRequestURI());
    }
}
