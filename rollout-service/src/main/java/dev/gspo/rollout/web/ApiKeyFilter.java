package dev.gspo.rollout.web;

import dev.gspo.rollout.auth.BearerSecret;
import dev.gspo.rollout.auth.NotAuthorizedException;
import dev.gspo.rollout.config.RolloutProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * {@code gspo.rollout.api-key}: when set, every request needs {@code Authorization: Bearer <api-key>} (scheme
 * case-insensitive, constant-time comparison), except the health probes ({@code /actuator/health} and below), which
 * orchestrators call without credentials. A weight push ({@code PUT /v1/policy}) may carry the push token instead,
 * which the push itself then checks. 401 with {@code WWW-Authenticate: Bearer} without bearer credentials, 403 with
 * a wrong key; the key is never logged or echoed.
 *
 * <p>The exemption is decided on the path Tomcat has decoded and normalised ({@code /actuator/health/../../v1/policy}
 * is {@code /v1/policy} here), so no spelling of a path reaches another endpoint through it.
 */
@Component
class ApiKeyFilter extends OncePerRequestFilter implements Ordered {
    private static final Logger log = LoggerFactory.getLogger(ApiKeyFilter.class);
    private static final String HEALTH = "/actuator/health";

    private final BearerSecret apiKey;
    private final BearerSecret pushToken;
    private final ProblemWriter problems;

    ApiKeyFilter(RolloutProperties properties, ProblemWriter problems) {
        this.apiKey = properties.apiKeyRequired() ? new BearerSecret(properties.apiKey()) : null;
        this.pushToken = properties.pushesEnabled() ? new BearerSecret(properties.pushToken()) : null;
        this.problems = problems;
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 2; // after the malformed-request filters, before anything reads a body
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        if (apiKey == null) {
            return true;
        }
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        return path.equals(HEALTH) || path.startsWith(HEALTH + "/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Optional<String> offered = BearerSecret.offered(request.getHeader(HttpHeaders.AUTHORIZATION));
        if (offered.isEmpty()) {
            refuse(
                    request,
                    response,
                    new NotAuthorizedException(
                            true,
                            "this replica needs an API key: send" + " Authorization: Bearer <gspo.rollout.api-key>"));
            return;
        }
        boolean push = ("PUT".equals(request.getMethod())
                        && ("/v1/policy".equals(request.getServletPath())
                                || "/v1/policy/adapter".equals(request.getServletPath())))
                || (("PUT".equals(request.getMethod()) || "DELETE".equals(request.getMethod()))
                        && request.getServletPath().startsWith("/v1/adapters/"));
        if (!apiKey.matches(offered.get()) && !(push && pushToken != null && pushToken.matches(offered.get()))) {
            refuse(
                    request,
                    response,
                    new NotAuthorizedException(
                            false,
                            push
                                    ? "the bearer token is neither the configured API key nor the push token"
                                    : "the bearer token is not the configured API key"));
            return;
        }
        chain.doFilter(request, response);
    }

    private void refuse(HttpServletRequest request, HttpServletResponse response, NotAuthorizedException e)
            throws IOException {
        log.debug("refused {} {}: {}", request.getMethod(), request.getServletPath(), e.getMessage());
        if (e.missingCredentials()) {
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, ProblemWriter.BEARER_CHALLENGE);
        }
        problems.write(response, ProblemDetail.forStatusAndDetail(e.status(), e.getMessage()), request.getRequestURI());
    }
}
