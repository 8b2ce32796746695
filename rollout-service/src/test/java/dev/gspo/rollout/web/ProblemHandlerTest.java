package dev.gspo.rollout.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.rollout.batching.DecoderStoppedException;
import dev.gspo.rollout.batching.QueueFullException;
import dev.gspo.rollout.batching.RolloutTimeoutException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

/** Overload and timeouts tell the caller to come back (503 + Retry-After), so a fleet client can go elsewhere. */
class ProblemHandlerTest {
    private final ProblemHandler handler = new ProblemHandler();

    @Test
    void answersAFullQueueATimeoutAndShutdownWith503AndRetryAfter() {
        for (RuntimeException e : List.of(
                new QueueFullException(4000, 200, 4096),
                new RolloutTimeoutException("too slow"),
                new DecoderStoppedException())) {
            ResponseEntity<ProblemDetail> r = handler.unavailable(e);

            assertThat(r.getStatusCode().value()).isEqualTo(503);
            assertThat(r.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("1");
            assertThat(r.getBody().getDetail()).isEqualTo(e.getMessage());
        }
    }

    @Test
    void hidesTheDetailsOfUnexpectedFailures() {
        ResponseEntity<ProblemDetail> r = handler.unexpected(new IllegalStateException("native pointer 0x7f… freed"));

        assertThat(r.getStatusCode().value()).isEqualTo(500);
        assertThat(r.getBody().getDetail()).doesNotContain("0x7f").contains("see the service log");
    }
}
