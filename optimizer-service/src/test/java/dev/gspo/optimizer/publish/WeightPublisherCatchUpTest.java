package dev.gspo.optimizer.publish;

import static dev.gspo.optimizer.publish.DirectSendBuffersTest.randomBytes;
import static dev.gspo.optimizer.publish.DirectSendBuffersTest.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.gspo.optimizer.loop.PublishResult;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A replica catching up on version 1 is still being sent version 1 while version 2 is published: the publisher reuses
 * its off-heap copy of a version only once no push sends it any more ({@link DirectSendBuffers}), so the catch-up
 * must receive exactly version 1's bytes. Real HTTP on 127.0.0.1; the slow replica stops reading after its first
 * megabyte until version 2 has been delivered, with far more of the body left than the sockets' buffers hold.
 */
class WeightPublisherCatchUpTest {
    private static final int BODY = 48 << 20;

    @Test
    void aCatchUpStillSendingTheOldVersionReceivesExactlyItsBytesWhileTheNextIsPublished() throws Exception {
        byte[] v1 = randomBytes(1, BODY);
        byte[] v2 = randomBytes(2, BODY);
        CountDownLatch slowStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ConcurrentHashMap<String, String> received = new ConcurrentHashMap<>();
        HttpServer slow = replica();
        HttpServer fast = replica();
        slow.createContext("/v1/policy", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                MessageDigest sha = sha();
                sha.update(in.readNBytes(1 << 20));
                slowStarted.countDown();
                await(release);
                sha.update(in.readAllBytes());
                received.put("slow", HexFormat.of().formatHex(sha.digest()));
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        fast.createContext("/v1/policy", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                received.put("fast", sha256(in.readAllBytes()));
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        slow.start();
        fast.start();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            WeightPublisher publisher = new WeightPublisher(
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(),
                    "token",
                    Duration.ofSeconds(60),
                    1,
                    executor);
            CompletableFuture<PublishResult.Replica> catchUp = CompletableFuture.supplyAsync(
                    () -> publisher.pushWithRetries(url(slow), 1, v1, sha256(v1)), executor);
            assertThat(slowStarted.await(30, TimeUnit.SECONDS)).isTrue();

            PublishResult next = publisher.publish(List.of(url(fast)), 2, v2, sha256(v2));
            release.countDown();

            assertThat(next.failures()).isZero();
            assertThat(catchUp.get(60, TimeUnit.SECONDS).ok()).isTrue();
        } finally {
            release.countDown();
            slow.stop(0);
            fast.stop(0);
        }
        assertThat(received).containsEntry("fast", sha256(v2)).containsEntry("slow", sha256(v1));
    }

    private static HttpServer replica() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        return server;
    }

    private static URI url(HttpServer server) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private static MessageDigest sha() throws IOException {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }

    private static void await(CountDownLatch latch) throws IOException {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new IOException("never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
