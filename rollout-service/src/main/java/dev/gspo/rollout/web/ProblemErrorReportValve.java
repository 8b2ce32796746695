package dev.gspo.rollout.web;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;

/**
 * Tomcat's last-resort error page as an RFC 9457 problem instead of an HTML page. It answers the errors Tomcat finds
 * before the request reaches the application (a malformed request line or URI: invalid {@code %}-encoding, an encoded
 * {@code /} or {@code \}, NUL or non-ASCII bytes; headers over {@code server.max-http-request-header-size}; an
 * unparseable {@code Content-Length}) and anything the application's own {@code /error} page could not render.
 *
 * <p>The detail is written from the status alone: Tomcat's messages quote the offending request target, and a
 * problem never echoes parser internals. What Tomcat found is logged at DEBUG (client errors are not the service's
 * faults).
 */
final class ProblemErrorReportValve extends ErrorReportValve {
    private static final Logger log = LoggerFactory.getLogger(ProblemErrorReportValve.class);

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        // as the HTML valve: only an error nobody has answered yet, and only while the connection can take it
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(false);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        log.debug("answering {} for a request Tomcat rejected: {}", status, response.getMessage(), throwable);
        try {
            response.setContentType("application/problem+json");
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(json(status));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            log.debug("could not write the problem for status {}", status, e);
        }
    }

    /** A fixed text per status: nothing of the request is quoted, so nothing needs escaping but the reason phrase. */
    static String json(int status) {
        HttpStatus known = HttpStatus.resolve(status);
        String title = known != null ? known.getReasonPhrase() : "Error";
        String detail =
                switch (status) {
                    case 400 ->
                        "malformed request: the request line, URI or headers cannot be parsed (invalid %-encoding, an"
                                + " encoded '/' or '\\\\', control or non-ASCII characters in the URI, an invalid"
                                + " Content-Length or header) or the headers exceed"
                                + " server.max-http-request-header-size";
                    case 404 -> "no such resource";
                    case 405 -> "method not allowed on this resource";
                    case 408 -> "the request was not received in time";
                    case 413 -> "request too large";
                    case 414 -> "request URI too long";
                    case 431 -> "request headers too large (server.max-http-request-header-size)";
                    case 501 -> "not implemented: an unsupported transfer coding or method";
                    case 503 -> "service unavailable (starting or stopping); try again";
                    default -> title;
                };
        return "{\"type\":\"about:blank\",\"title\":\"" + title + "\",\"status\":" + status + ",\"detail\":\"" + detail
                + "\"}";
    }
}
