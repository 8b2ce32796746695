package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.testing.RawHttp;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.support.WeightSets;
import dev.gspo.rollout.weights.PolicyRegistry;
import dev.gspo.rollout.weights.PushGate;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The memory finding of the attack: pushes that declare {@code Content-Length: 1 GB} and send 1 KB used to reserve
 * their declared size at once (three of them ran a 2 GB replica out of memory). Now a held push reserves memory only
 * for the bytes that came, and while it is in flight every other push is refused at once, before its body is read.
 * Nothing of the declared gigabyte is allocated: measured as the bytes the whole JVM allocated while the pushes are
 * held (the server runs in this JVM), which needs no gigabyte to fail.
 */
@RolloutIT
@DirtiesContext
@ExtendWith(OutputCaptureExtension.class)
class HeldPushIT {
    /** Under the default gspo.rollout.max-weights-bytes (1 GB), so the size filter lets it through. */
    private static final long DECLARED = 1_000_000_000L;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final Pattern LOUD = Pattern.compile("(?m)^\\S+\\s+(WARN|ERROR)\\s|^\\s+at [a-z]");

    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    @Autowired
    PushGate gate;

    @Test
    void heldPushesReserveNoMemoryAndEveryOtherPushIsRefusedAtOnce(CapturedOutput output) throws Exception {
        TestClient client = new TestClient(port);
        ModelConfig config = registry.current().model().config();
        long version = registry.current().version() + 1;
        byte[] valid = WeightSets.randomBytes(config, 5);
        int logStart = output.getAll().length();

        long allocatedBefore = THREADS.getTotalThreadAllocatedBytes();
        try (Socket held = new Socket("127.0.0.1", port)) {
            OutputStream out = held.getOutputStream();
            out.write((pushHead(version) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1024]);
            out.flush();
            await("the held push is being read").atMost(Duration.ofSeconds(10)).until(gate::inFlight);

            // the attack held three: the second and third are answered at once, their bodies unread
            for (int i = 0; i < 2; i++) {
                long start = System.nanoTime();
                RawHttp.Response busy = RawHttp.send(port, pushHead(version), new byte[1024]);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
                assertThat(busy.status()).as(busy.body()).isEqualTo(409);
                assertThat(busy.headers()).containsEntry("retry-after", "1");
                assertThat(busy.contentType()).startsWith("application/problem+json");
                assertThat(TestClient.tree(busy.body()).path("detail").asText()).contains("in progress");
            }
            // a complete, valid push too
            HttpResponse<String> whole = client.push(version, valid);
            assertThat(whole.statusCode()).as(whole.body()).isEqualTo(409);
            assertThat(whole.headers().firstValue("Retry-After")).hasValue("1");

            long allocated = THREADS.getTotalThreadAllocatedBytes() - allocatedBefore;
            System.out.printf(
                    "three pushes declaring %d bytes held or refused: the JVM allocated %.1f MB meanwhile%n",
                    DECLARED, allocated / 1e6);
            assertThat(allocated)
                    .as("bytes allocated by the JVM while pushes declaring %d bytes were held", DECLARED)
                    .isLessThan(DECLARED / 10);
        }

        // the held connection is closed: its push fails as a client error and frees the gate
        await("the held push ends").atMost(Duration.ofSeconds(30)).until(() -> !gate.inFlight());
        HttpResponse<String> ok = client.push(version, valid);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        String log = output.getAll().substring(logStart);
        assertThat(LOUD.matcher(log).results().map(m -> log.substring(m.start(), log.indexOf('\n', m.start()))))
                .as("WARN/ERROR lines or stack traces for the held pushes")
                .isEmpty();
    }

    private static String pushHead(long version) {
        return "PUT /v1/policy HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + RolloutIT.PUSH_TOKEN
                + "\r\nContent-Type: application/octet-stream\r\nX-Policy-Version: " + version
                + "\r\nX-Content-SHA256: " + "ab".repeat(32) + "\r\nContent-Length: " + DECLARED;
    }
}
