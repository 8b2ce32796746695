package dev.gspo.optimizer.publish;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SlicedBodyPublisherTest {

    @Test
    void deliversEveryByteInOrderAsReadOnlySlices() {
        byte[] bytes = randomBytes(10_000);
        Collector c = new Collector(1);

        new SlicedBodyPublisher(bytes, 3_000).subscribe(c);

        assertThat(c.completed).isTrue();
        assertThat(c.error).isNull();
        assertThat(c.slices).extracting(ByteBuffer::remaining).containsExactly(3_000, 3_000, 3_000, 1_000);
        assertThat(c.slices).allMatch(ByteBuffer::isReadOnly);
        assertThat(c.bytes()).isEqualTo(bytes);
    }

    @Test
    void slicesOfADirectBufferAreDirectSoTheSocketWritesThemWithoutACopy() {
        byte[] bytes = randomBytes(10_000);
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(0, bytes);
        Collector c = new Collector(1);

        new SlicedBodyPublisher(direct, 3_000, () -> {}).subscribe(c);

        assertThat(c.completed).isTrue();
        assertThat(c.slices).allMatch(ByteBuffer::isDirect).allMatch(ByteBuffer::isReadOnly);
        assertThat(c.bytes()).isEqualTo(bytes);
        assertThat(direct.position()).isZero(); // the caller's buffer is not consumed: every attempt sends it all
    }

    @Test
    void asksForEachSlicesBytesBeforeHandingItOver() {
        List<String> events = new ArrayList<>();
        Collector c = new Collector(1) {
            @Override
            public void onNext(ByteBuffer item) {
                events.add("slice of " + item.remaining());
                super.onNext(item);
            }
        };

        new SlicedBodyPublisher(ByteBuffer.wrap(randomBytes(10)), 4, () -> {}, end -> events.add("ready " + end))
                .subscribe(c);

        assertThat(events).containsExactly("ready 4", "slice of 4", "ready 8", "slice of 4", "ready 10", "slice of 2");
    }

    @Test
    void emitsNoMoreThanIsRequested() {
        Collector c = new Collector(0);
        new SlicedBodyPublisher(randomBytes(100), 10).subscribe(c);

        c.subscription.request(3);
        assertThat(c.slices).hasSize(3);
        assertThat(c.completed).isFalse();

        c.subscription.request(Long.MAX_VALUE);
        assertThat(c.slices).hasSize(10);
        assertThat(c.completed).isTrue();
    }

    @Test
    void stopsWhenCancelled() {
        Collector c = new Collector(0);
        new SlicedBodyPublisher(randomBytes(100), 10).subscribe(c);
        c.subscription.request(2);

        c.subscription.cancel();
        c.subscription.request(5);

        assertThat(c.slices).hasSize(2);
        assertThat(c.completed).isFalse();
    }

    @Test
    void refusesNonPositiveDemandWithAnError() {
        Collector c = new Collector(0);
        new SlicedBodyPublisher(randomBytes(100), 10).subscribe(c);

        c.subscription.request(0);

        assertThat(c.error).isInstanceOf(IllegalArgumentException.class);
        assertThat(c.slices).isEmpty();
    }

    @Test
    void anEmptyBodyCompletesAtOnce() {
        Collector c = new Collector(1);

        new SlicedBodyPublisher(new byte[0]).subscribe(c);

        assertThat(c.completed).isTrue();
        assertThat(c.slices).isEmpty();
    }

    @Test
    void theHttpClientSendsTheExactBytesWithTheirContentLength() throws Exception {
        byte[] bytes = randomBytes(3 * SlicedBodyPublisher.SLICE + 12_345);
        AtomicReference<String> received = new AtomicReference<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/policy", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            received.set(ex.getRequestHeaders().getFirst("Content-Length") + " " + sha256(body));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        server.start();
        try {
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<Void> r = http.send(
                    HttpRequest.newBuilder(URI.create(
                                    "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/policy"))
                            .PUT(new SlicedBodyPublisher(bytes))
                            .build(),
                    HttpResponse.BodyHandlers.discarding());

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(received.get()).isEqualTo(bytes.length + " " + sha256(bytes));
        } finally {
            server.stop(0);
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new SplittableRandom(n).nextBytes(b);
        return b;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Records what it is sent; requests {@code perItem} more from inside each onNext (0: the test requests). */
    private static class Collector implements Flow.Subscriber<ByteBuffer> {
        private final long perItem;
        final List<ByteBuffer> slices = new ArrayList<>();
        Flow.Subscription subscription;
        boolean completed;
        Throwable error;

        Collector(long perItem) {
            this.perItem = perItem;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (perItem > 0) {
                s.request(perItem);
            }
        }

        @Override
        public void onNext(ByteBuffer item) {
            slices.add(item);
            if (perItem > 0) {
                subscription.request(perItem); // re-entrant: must not recurse or emit out of order
            }
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onComplete() {
            completed = true;
        }

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            slices.forEach(s -> {
                byte[] b = new byte[s.remaining()];
                s.duplicate().get(b);
                out.writeBytes(b);
            });
            return out.toByteArray();
        }
    }
}
