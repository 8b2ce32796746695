package dev.gspo.rollout.web;

import dev.gspo.rollout.config.RolloutProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Caps request bodies: {@code gspo.rollout.max-weights-bytes} for {@code PUT /v1/policy},
 * {@code gspo.rollout.max-request-bytes} for everything else. The body stream throws
 * {@link PayloadTooLargeException} (mapped to 413) when first opened if the declared length is over the limit, and as
 * soon as more than the limit has been read otherwise (chunked bodies), so nothing oversized is ever buffered.
 */
@Component
class RequestSizeLimitFilter extends OncePerRequestFilter {
    private final long maxRequestBytes;
    private final long maxWeightsBytes;

    RequestSizeLimitFilter(RolloutProperties properties) {
        this.maxRequestBytes = properties.maxRequestBytes().toBytes();
        this.maxWeightsBytes = properties.maxWeightsBytes().toBytes();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        boolean push = "PUT".equals(request.getMethod())
                && ("/v1/policy".equals(request.getRequestURI())
                        || "/v1/policy/adapter".equals(request.getRequestURI())
                        || request.getRequestURI().startsWith("/v1/adapters/"));
        chain.doFilter(
                push
                        ? new Limited(request, maxWeightsBytes, "gspo.rollout.max-weights-bytes")
                        : new Limited(request, maxRequestBytes, "gspo.rollout.max-request-bytes"),
                response);
    }

    private static final class Limited extends HttpServletRequestWrapper {
        private final long limit;
        private final String property;
        private ServletInputStream stream;

        Limited(HttpServletRequest request, long limit, String property) {
            super(request);
            this.limit = limit;
            this.property = property;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (getContentLengthLong() > limit) {
                throw new PayloadTooLargeException(limit, property);
            }
            if (stream == null) {
                stream = new CountingStream(super.getInputStream(), limit, property);
            }
            return stream;
        }
    }

    private static final class CountingStream extends ServletInputStream {
        private final ServletInputStream in;
        private final long limit;
        private final String property;
        private long read;

        CountingStream(ServletInputStream in, long limit, String property) {
            this.in = in;
            this.limit = limit;
            this.property = property;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = in.read(buf, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) {
            read += n;
            if (read > limit) {
                throw new PayloadTooLargeException(limit, property);
            }
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
