package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.RawHttp;
import dev.gspo.optimizer.support.ServiceProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request bodies far larger than the heap, sent to the real optimizer jar running with a 128 MB heap: one without a
 * token (refused before its body is read), one with a declared length and one chunked (refused at the size limit).
 * Before the request guard, the 190 MB body was bound whole (a JSON string of 190 million characters) and the service
 * died with {@code OutOfMemoryError}; now each answer is a 4xx problem and the heap stays far from its limit.
 */
class HostileBodiesProcessIT {
    private static final String CONTROL = "bodies-control-token";
    private static final long HUGE = 190_000_000;
    private static final byte[] OPEN_STRING = "{\"taskParams\":{\"x\":\"".getBytes(StandardCharsets.UTF_8);

    @Test
    void bodiesLargerThanTheHeapAreRefusedWithoutBeingRead(@TempDir Path dir) throws Exception {
        try (ServiceProcess optimizer = ServiceProcess.start(
                "optimizer-service",
                dir,
                List.of("-Xmx128m", "-XX:+UseSerialGC"),
                "--gspo.optimizer.rollout-urls=http://127.0.0.1:9",
                "--gspo.optimizer.control-token=" + CONTROL,
                "--gspo.optimizer.checkpoint-dir=" + dir.resolve("runs"))) {
            String head = "POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json";
            String auth = "\r\nAuthorization: Bearer " + CONTROL;

            RawHttp.Response anonymous = RawHttp.send(
                    optimizer.port(),
                    head + "\r\nContent-Length: " + (OPEN_STRING.length + HUGE),
                    OPEN_STRING,
                    HUGE,
                    false);
            RawHttp.Response declared = RawHttp.send(
                    optimizer.port(),
                    head + auth + "\r\nContent-Length: " + (OPEN_STRING.length + HUGE),
                    OPEN_STRING,
                    HUGE,
                    false);
            RawHttp.Response chunked = RawHttp.send(optimizer.port(), head + auth, OPEN_STRING, HUGE, true);

            assertThat(anonymous.status()).as(anonymous.body()).isEqualTo(401);
            assertThat(declared.status()).as(declared.body()).isEqualTo(413);
            assertThat(chunked.status()).as(chunked.body()).isEqualTo(413);
            for (RawHttp.Response r : List.of(anonymous, declared, chunked)) {
                assertThat(r.contentType()).startsWith("application/problem+json");
            }
            assertThat(chunked.body()).contains("gspo.optimizer.max-request-bytes");

            assertThat(Http.get(optimizer.url().resolve("/actuator/health")).status())
                    .isEqualTo(200);
            double heap = heapUsedBytes(
                    Http.get(optimizer.url().resolve("/actuator/prometheus")).body());
            System.out.printf("heap in use after the three bodies: %.0f MB of 128 MB%n", heap / 1e6);
            assertThat(heap).as("heap used, bytes").isLessThan(100e6);
            assertThat(optimizer.log()).doesNotContain("OutOfMemoryError");
            assertThat(optimizer.isAlive()).isTrue();
        }
    }

    /** The sum of {@code jvm_memory_used_bytes{area="heap"}} over the heap pools. */
    private static double heapUsedBytes(String scrape) {
        Matcher m = Pattern.compile("(?m)^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*} (\\S+)$")
                .matcher(scrape);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        assertThat(sum).as("heap pools in the scrape").isPositive();
        return sum;
    }
}
