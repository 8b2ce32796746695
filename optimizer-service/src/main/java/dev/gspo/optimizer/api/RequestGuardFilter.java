package dev.gspo.optimizer.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.util.ServletRequestPathUtils;

/**
 * What every request meets first, before anything reads or binds its body (message conversion happens long after):
 *
 * <ol>
 *   <li>the path is parsed as the dispatcher will parse it: one it could not parse (a broken {@code %} escape in a
 *       {@code ;} path parameter) is a 400 here, not a 500 there;
 *   <li>credentials: a mutating request ({@code POST}, {@code PUT}, {@code PATCH}, {@code DELETE}) needs the control
 *       token when one is configured; a read needs the read token (or the control token) when a read token is
 *       configured, except {@code /actuator/health/**}, which probes call without credentials;
 *   <li>the body: a declared {@code Content-Length} over {@code max-request-bytes} is a 413 before a byte is read, and
 *       a body without a declared length stops being read one byte past the limit ({@link LimitedBodyRequest}).
 * </ol>
 *
 * Rejections of credentials and size go through the {@link HandlerExceptionResolver}, so they are the same problem
 * documents as every other error ({@link ProblemDetails}).
 */
public final class RequestGuardFilter extends OncePerRequestFilter {
    private static final Set<String> READ_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final BearerToken controlToken;
    private final BearerToken readToken;
    private final long maxBodyBytes;
    private final HandlerExceptionResolver problems;

    public RequestGuardFilter(
            BearerToken controlToken, BearerToken readToken, long maxBodyBytes, HandlerExceptionResolver problems) {
        this.controlToken = controlToken;
        this.readToken = readToken;
        this.maxBodyBytes = maxBodyBytes;
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        try {
            ServletRequestPathUtils.parseAndCache(request);
        } catch (IllegalArgumentException e) {
            // Spring MVC (its error handling included) cannot work with this path: answered here, without it
            response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            response.setContentType(ProblemJson.CONTENT_TYPE);
            response.setCharacterEncoding("UTF-8");
            response.getWriter()
                    .write(ProblemJson.of(
                            400,
                            "Invalid request path",
                            "the request path is not a valid URL path: " + e.getMessage()));
            return;
        } finally {
            ServletRequestPathUtils.clearParsedRequestPath(request);
        }
        try {
            authorize(request);
            if (request.getContentLengthLong() > maxBodyBytes) {
                throw new PayloadTooLargeException(maxBodyBytes);
            }
        } catch (BearerToken.UnauthorizedException | PayloadTooLargeException e) {
            if (problems.resolveException(request, response, null, e) == null) {
                throw e;
            }
            return;
        }
        chain.doFilter(new LimitedBodyRequest(request, maxBodyBytes), response);
    }

    private void authorize(HttpServletRequest request) {
        String authorization = request.getHeader("Authorization");
        if (!READ_METHODS.contains(request.getMethod())) {
            controlToken.check(authorization);
        } else if (readToken.enabled() && !isHealth(request)) {
            if (BearerToken.credentials(authorization) == null) {
                throw new BearerToken.UnauthorizedException(
                        "missing bearer token: send 'Authorization: Bearer <read token or control token>'");
            }
            if (!readToken.matches(authorization) & !controlToken.matches(authorization)) {
                throw new BearerToken.UnauthorizedException("the bearer token is not valid");
            }
        }
    }

    /** {@code /actuator/health} and below, by the decoded path without {@code ;} parameters (what MVC matches). */
    private static boolean isHealth(HttpServletRequest request) {
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        return path.equals("/actuator/health") || path.startsWith("/actuator/health/");
    }
}
