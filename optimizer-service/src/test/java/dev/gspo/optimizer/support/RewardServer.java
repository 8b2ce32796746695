package dev.gspo.optimizer.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A real reward server for the tests, on 127.0.0.1 and a free port ({@code com.sun.net.httpserver}, requests served
 * concurrently on virtual threads): it records every request and answers with what its {@link Handler} says. Also the
 * number of requests in flight at the most, for the concurrency limit.
 */
public final class RewardServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as the server received it. */
    public record Received(Headers headers, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public String header(String name) {
            return headers.getFirst(name);
        }
    }

    /**
     * What to answer: the status line and headers after {@code delayMillis}, the body {@code bodyDelayMillis} after
     * them.
     */
    public record Reply(int status, String body, long delayMillis, long bodyDelayMillis) {
        public Reply(int status, String body, long delayMillis) {
            this(status, body, delayMillis, 0);
        }

        public static Reply ok(String body) {
            return new Reply(200, body, 0);
        }
    }

    @FunctionalInterface
    public interface Handler {
        Reply handle(Received request);
    }

    private final HttpServer server;
    private final String scheme;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peakInFlight = new AtomicInteger();
    private volatile Handler handler;

    private RewardServer(HttpServer server, String scheme, Handler handler) {
        this.server = server;
        this.scheme = scheme;
        this.handler = handler;
        server.createContext("/", this::serve);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    public static RewardServer start(Handler handler) {
        try {
            return new RewardServer(
                    HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0), "http", handler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An https server presenting {@code certificate} (PEM chain) with {@code key} (PEM PKCS#8). */
    public static RewardServer startHttps(Handler handler, Path certificate, Path key) {
        try {
            HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            https.setHttpsConfigurator(new HttpsConfigurator(serverContext(certificate, key)));
            return new RewardServer(https, "https", handler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Scores every item of a request with {@code score}, in reverse order (the contract matches scores by id), and
     * reports the score again under each of {@code components}.
     */
    public static Reply scoring(Received request, ToDoubleFunction<JsonNode> score, String... components) {
        ArrayNode scores = JSON.createArrayNode();
        JsonNode items = request.json().get("items");
        for (int i = items.size() - 1; i >= 0; i--) {
            JsonNode item = items.get(i);
            ObjectNode s = scores.addObject().put("id", item.get("id").asText());
            double value = score.applyAsDouble(item);
            s.put("score", value);
            for (String c : components) {
                s.withObject("/components").put(c, value);
            }
        }
        ObjectNode answer = JSON.createObjectNode();
        answer.set("scores", scores);
        return Reply.ok(answer.toString());
    }

    public void answerWith(Handler newHandler) {
        this.handler = newHandler;
    }

    public URI url() {
        return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort() + "/v1/score");
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public int peakInFlight() {
        return peakInFlight.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void serve(HttpExchange exchange) throws IOException {
        int now = inFlight.incrementAndGet();
        peakInFlight.accumulateAndGet(now, Math::max);
        try (exchange;
                InputStream in = exchange.getRequestBody()) {
            Received r =
                    new Received(exchange.getRequestHeaders(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            received.add(r);
            Reply reply = handler.handle(r);
            if (reply.delayMillis() > 0) {
                Thread.sleep(reply.delayMillis());
            }
            byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                exchange.getResponseBody().flush();
                Thread.sleep(reply.bodyDelayMillis());
                exchange.getResponseBody().write(body);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static SSLContext serverContext(Path certificate, Path key) {
        try {
            String pem = Files.readString(key);
            byte[] der = Base64.getMimeDecoder()
                    .decode(pem.replaceAll("-----[A-Z ]+-----", "").strip());
            PrivateKey privateKey = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
            Certificate[] chain;
            try (InputStream in = Files.newInputStream(certificate)) {
                chain = CertificateFactory.getInstance("X.509")
                        .generateCertificates(in)
                        .toArray(Certificate[]::new);
            }
            char[] password = "unused".toCharArray();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", privateKey, password, chain);
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the reward server's TLS context", e);
        }
    }
}
