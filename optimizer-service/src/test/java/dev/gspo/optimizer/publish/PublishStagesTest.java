package dev.gspo.optimizer.publish;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.gspo.optimizer.loop.PublishResult;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The publisher's half of a push's stage profile, against a real HTTP server on 127.0.0.1 that reads the whole body,
 * then holds its answer: the hold must land in {@code answer}, the transfer in {@code send}.
 */
class PublishStagesTest {
    private static final long HOLD_MS = 300;

    @Test
    void splitsEachPushIntoSendingTheBodyAndWaitingForTheAnswer() throws Exception {
        AtomicLong received = new AtomicLong();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/policy", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                received.set(in.readAllBytes().length);
            }
            try {
                Thread.sleep(HOLD_MS); // "verifying and installing"
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        PublishStages stages = new PublishStages();
        stages.bindTo(meters);
        byte[] body = new byte[3 * SlicedBodyPublisher.SLICE + 17];
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            URI replica = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
            WeightPublisher publisher = new WeightPublisher(
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(),
                    "token",
                    Duration.ofSeconds(30),
                    1,
                    executor,
                    stages);

            PublishResult r = publisher.publish(List.of(replica, replica), 7, body, "0".repeat(64));

            assertThat(r.failures()).isZero();
        } finally {
            server.stop(0);
        }
        assertThat(received.get()).isEqualTo(body.length);
        Timer send = meters.find(PublishStages.METER).tag("stage", "send").timer();
        Timer answer = meters.find(PublishStages.METER).tag("stage", "answer").timer();
        assertThat(send.count()).isEqualTo(2);
        assertThat(answer.count()).isEqualTo(2);
        // every answer waited at least the hold after the last slice was handed over
        assertThat(answer.totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(2.0 * HOLD_MS);
        assertThat(answer.max(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(HOLD_MS);
    }

    @Test
    void recordsNothingBeforeItIsBound() {
        PublishStages stages = new PublishStages();

        assertThat(stages.time(PublishStages.SERIALISE, () -> 42)).isEqualTo(42);

        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        stages.bindTo(meters);
        stages.record(PublishStages.SHA256, 1_000_000);
        assertThat(meters.find(PublishStages.METER).timers()).hasSize(1);
        assertThat(meters.find(PublishStages.METER)
                        .tag("stage", "sha256")
                        .timer()
                        .count())
                .isEqualTo(1);
    }
}
