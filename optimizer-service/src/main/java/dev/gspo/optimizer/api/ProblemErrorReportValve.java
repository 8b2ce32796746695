package dev.gspo.optimizer.api;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.springframework.http.HttpStatus;

/**
 * Tomcat's error report for what it refuses before any servlet runs (a request line or header over
 * {@code server.max-http-request-header-size}, a {@code %2F} or a broken {@code %} escape in the path, …): an RFC 9457
 * problem document instead of Tomcat's HTML page. Installed on the host in place of the stock
 * {@link ErrorReportValve}; it writes only when nothing else has written a body.
 */
public final class ProblemErrorReportValve extends ErrorReportValve {
    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(false);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        HttpStatus resolved = HttpStatus.resolve(status);
        String title = resolved == null ? "HTTP " + status : resolved.getReasonPhrase();
        try {
            response.setContentType(ProblemJson.CONTENT_TYPE);
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(ProblemJson.of(status, title, detail(status, title)));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone or the response was committed meanwhile: nothing left to tell it
        }
    }

    private static String detail(int status, String title) {
        return switch (status) {
            case 400 ->
                "the request line or a header is malformed or larger than the server accepts "
                        + "(server.max-http-request-header-size); the request was not processed";
            case 413 -> "the request is larger than the server accepts";
            default -> status >= 500 ? ProblemDetails.INTERNAL_DETAIL : title;
        };
    }
}
