package dev.gspo.optimizer.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for a rollout replica on 127.0.0.1 that speaks just enough of the contract ({@code POST /v1/rollouts},
 * {@code GET /v1/policy}, {@code PUT /v1/policy}) and can hang like a stopped process: it accepts connections and
 * answers nothing until {@link #recover()}.
 */
final class FakeReplica implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final AtomicLong version = new AtomicLong();
    final AtomicInteger rollouts = new AtomicInteger();
    final AtomicInteger pushes = new AtomicInteger();
    private volatile CountDownLatch hung = new CountDownLatch(0);

    FakeReplica() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/rollouts", this::rollout);
        server.createContext("/v1/policy", this::policy);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    long version() {
        return version.get();
    }

    void hang() {
        hung = new CountDownLatch(1);
    }

    void recover() {
        hung.countDown();
    }

    private void rollout(HttpExchange x) throws IOException {
        waitWhileHung();
        rollouts.incrementAndGet();
        JsonNode request = JSON.readTree(x.getRequestBody());
        ObjectNode answer = JSON.createObjectNode().put("policyVersion", version.get());
        ArrayNode groups = answer.putArray("groups");
        for (JsonNode prompt : request.get("prompts")) {
            ObjectNode g = groups.addObject().put("promptId", prompt.get("id").asText());
            g.putArray("promptTokenIds").add(1);
            ArrayNode samples = g.putArray("samples");
            for (int i = 0; i < request.get("groupSize").asInt(); i++) {
                ObjectNode s = samples.addObject().put("text", "1").put("finishReason", "stop");
                s.putArray("tokenIds").add(1);
                s.putArray("logprobs").add(-0.1);
            }
        }
        answer.putObject("usage").put("promptTokens", 1).put("completionTokens", 1);
        send(x, 200, JSON.writeValueAsString(answer));
    }

    private void policy(HttpExchange x) throws IOException {
        waitWhileHung();
        if (x.getRequestMethod().equals("PUT")) {
            pushes.incrementAndGet();
            x.getRequestBody().readAllBytes();
            version.accumulateAndGet(Long.parseLong(x.getRequestHeaders().getFirst("X-Policy-Version")), Math::max);
        }
        send(x, 200, "{\"version\":" + version.get() + "}");
    }

    private void waitWhileHung() {
        try {
            hung.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(HttpExchange x, int status, String body) {
        try (x) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().set("Content-Type", "application/json");
            x.sendResponseHeaders(status, bytes.length);
            x.getResponseBody().write(bytes);
        } catch (IOException e) {
            // the client gave up waiting (it timed out while this replica hung)
        }
    }

    @Override
    public void close() {
        recover();
        server.stop(0);
    }
}
