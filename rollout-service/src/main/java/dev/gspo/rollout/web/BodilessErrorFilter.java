package dev.gspo.rollout.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Gives an error answer that has no body one: the actuator answers an unknown health group
 * ({@code /actuator/health/nope}) with a bare 404, and a handler may set an error status without writing. Such a
 * response is turned into {@code sendError}, which the error page ({@link ProblemErrorController}) answers with a
 * problem. Responses with a body pass untouched (the wrapper only notes whether one was opened).
 */
@Component
class BodilessErrorFilter extends OncePerRequestFilter implements Ordered {
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 1;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        BodyNoting noting = new BodyNoting(response);
        chain.doFilter(request, noting);
        if (!noting.bodyOpened && !response.isCommitted() && response.getStatus() >= 400) {
            response.setContentLengthLong(-1);
            response.sendError(response.getStatus());
        }
    }

    private static final class BodyNoting extends HttpServletResponseWrapper {
        private boolean bodyOpened;

        BodyNoting(HttpServletResponse response) {
            super(response);
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            bodyOpened = true;
            return super.getOutputStream();
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            bodyOpened = true;
            return super.getWriter();
        }
    }
}
