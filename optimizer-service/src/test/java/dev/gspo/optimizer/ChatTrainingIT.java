package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.gspo.common.model.TestModels;
import dev.gspo.common.testing.ChatGoldens;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.RolloutReplica;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A chat model trains on a chat dataset through both services over real HTTP: a random-weight qwen3 policy with
 * Qwen3's real vocabulary (151,669 ids) and chat template, hidden size 16, served by a real rollout-service; the
 * dataset is {"messages", "answer"} lines made of the conversations of {@code reference/chat/qwen3-conversations.json}.
 * A recording proxy between the optimizer and the replica shows what travels: every prompt is the conversation as
 * @huggingface/jinja renders it with the generation prompt, and the replica encodes it to the ids transformers.js
 * gives (each special token one id). A chat dataset for the built-in model (no template) is refused with a 422.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.push-token=" + RolloutReplica.PUSH_TOKEN,
            "gspo.optimizer.control-token=" + ChatTrainingIT.CONTROL_TOKEN,
            "gspo.optimizer.request-timeout=60s",
            "gspo.optimizer.publish-timeout=30s",
            "logging.level.gspo.progress=WARN"
        })
class ChatTrainingIT {
    static final String CONTROL_TOKEN = "chat-it-control-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WORK = tempDir();
    private static final Path MODEL = WORK.resolve("qwen3-tiny-chat");
    private static final Path DATA = WORK.resolve("chat.jsonl");
    private static final List<JsonNode> GOLDENS = goldensWithGenerationPrompt();
    private static RolloutReplica replica;
    private static RecordingProxy proxy;

    @Value("${local.server.port}")
    int port;

    @DynamicPropertySource
    static void fleet(DynamicPropertyRegistry registry) throws IOException {
        if (replica == null) {
            TestModels.writeQwen3Chat(MODEL, 16, 11);
            List<String> lines = new ArrayList<>();
            for (JsonNode golden : GOLDENS) {
                ObjectNode line = JSON.createObjectNode();
                line.set("messages", golden.path("messages"));
                line.put("answer", "42");
                line.putObject("metadata").put("golden", golden.path("name").asText());
                lines.add(JSON.writeValueAsString(line));
            }
            Files.write(DATA, lines);
            replica = RolloutReplica.start(RolloutReplica.PUSH_TOKEN, "--gspo.rollout.model-dir=" + MODEL);
            proxy = new RecordingProxy(replica.url());
        }
        registry.add("gspo.optimizer.rollout-urls", () -> proxy.url().toString());
        registry.add("gspo.optimizer.checkpoint-dir", () -> WORK.resolve("runs").toString());
        registry.add("gspo.optimizer.model-dirs", WORK::toString);
        registry.add("gspo.optimizer.data-dirs", WORK::toString);
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (replica != null) {
            replica.close();
        }
    }

    @Test
    void aQwen3ChatModelTrainsOnAMessagesDatasetThroughBothServicesWithRenderedPrompts() throws IOException {
        String body = """
                {"model": {"source": "%s"},
                 "task": {"name": "jsonl", "path": "%s", "heldOutFraction": 0.2},
                 "steps": 3, "seed": 4,
                 "sampling": {"promptsPerStep": 3, "groupSize": 2, "maxNewTokens": 3, "temperature": 1.0},
                 "optimizer": {"learningRate": 0.001, "miniBatches": 1},
                 "warmStart": {"steps": 2, "batchSize": 3},
                 "eval": {"every": 3, "size": 4}}""".formatted(MODEL, DATA);
        Http.Response started = Http.post(optimizer("/v1/runs"), body, CONTROL_TOKEN);
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        String runId = started.json().get("runId").asText();

        await().atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> !status(runId).get("state").asText().equals("running"));
        JsonNode done = status(runId);
        assertThat(done.get("state").asText()).as("%s", done).isEqualTo("completed");

        JsonNode steps =
                Http.get(optimizer("/v1/runs/" + runId + "/metrics")).json().get("steps");
        assertThat(steps).hasSize(3);
        for (JsonNode step : steps) {
            assertThat(step.get("mismatchMax").asDouble()).isLessThan(1e-3);
            assertThat(step.get("loss").isNumber()).isTrue();
        }

        Map<String, List<Integer>> idsOfRendering = new HashMap<>();
        GOLDENS.forEach(g ->
                idsOfRendering.put(g.path("expected").asText(), JSON.convertValue(g.path("expectedIds"), List.class)));
        List<JsonNode[]> rollouts = proxy.exchanges("/v1/rollouts");
        assertThat(rollouts).as("one rollout request per step").hasSize(3);
        int prompts = 0;
        for (JsonNode[] exchange : rollouts) {
            JsonNode request = exchange[0];
            JsonNode response = exchange[1];
            for (int i = 0; i < request.get("prompts").size(); i++) {
                String text = request.get("prompts").get(i).get("text").asText();
                assertThat(idsOfRendering).as("a golden rendering").containsKey(text);
                assertThat(JSON.convertValue(response.get("groups").get(i).get("promptTokenIds"), List.class))
                        .isEqualTo(idsOfRendering.get(text));
                prompts++;
            }
        }
        assertThat(prompts).isEqualTo(9);

        Path checkpoint = Path.of(done.get("lastCheckpoint").asText());
        assertThat(Checkpoint.read(checkpoint).files()).containsKey("tokenizer_config.json");
        assertThat(checkpoint.resolve("tokenizer_config.json"))
                .hasSameBinaryContentAs(MODEL.resolve("tokenizer_config.json"));
        JsonNode policy = Http.get(replica.url().resolve("/v1/policy")).json();
        assertThat(policy.get("version").asLong())
                .isEqualTo(done.get("policyVersion").asLong());
    }

    @Test
    void aChatDatasetForTheBuiltinModelWithoutAChatTemplateIsRefusedNamingBoth() {
        Http.Response r = Http.post(
                optimizer("/v1/runs"),
                "{\"model\": \"builtin\", \"task\": {\"name\": \"jsonl\", \"path\": \"" + DATA + "\"}}",
                CONTROL_TOKEN);

        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.body()).contains("task.path '" + DATA + "'", "model.source 'builtin'", "no chat template");
    }

    private JsonNode status(String runId) {
        return Http.get(optimizer("/v1/runs/" + runId)).json();
    }

    private URI optimizer(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static List<JsonNode> goldensWithGenerationPrompt() {
        return ChatGoldens.cases(ChatGoldens.QWEN3_CONVERSATIONS).stream()
                .filter(c -> c.path("addGenerationPrompt").asBoolean() && !c.has("enableThinking"))
                .toList();
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("gspo-chat-it");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Forwards every request to one replica unchanged (rollouts, weight pushes, health) and keeps the JSON of each
     * {@code POST /v1/rollouts} request with its response.
     */
    private static final class RecordingProxy implements AutoCloseable {
        private static final Set<String> HOP_HEADERS =
                Set.of("host", "connection", "content-length", "expect", "upgrade", "transfer-encoding");
        private final HttpServer server;
        private final HttpClient client = HttpClient.newHttpClient();
        private final List<Object[]> recorded = new CopyOnWriteArrayList<>();

        RecordingProxy(URI target) throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
            server.createContext("/", exchange -> {
                try (exchange) {
                    byte[] requestBody = exchange.getRequestBody().readAllBytes();
                    HttpRequest.Builder forward = HttpRequest.newBuilder(
                                    target.resolve(exchange.getRequestURI().toString()))
                            .timeout(Duration.ofMinutes(2))
                            .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(requestBody));
                    exchange.getRequestHeaders().forEach((name, values) -> {
                        if (!HOP_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                            values.forEach(v -> forward.header(name, v));
                        }
                    });
                    HttpResponse<byte[]> response =
                            client.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
                    if (exchange.getRequestURI().getPath().equals("/v1/rollouts")) {
                        recorded.add(new Object[] {"/v1/rollouts", requestBody, response.body()});
                    }
                    response.headers().map().forEach((name, values) -> {
                        if (!HOP_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT)) && !name.startsWith(":")) {
                            exchange.getResponseHeaders().put(name, values);
                        }
                    });
                    byte[] body = response.body();
                    exchange.sendResponseHeaders(response.statusCode(), body.length == 0 ? -1 : body.length);
                    exchange.getResponseBody().write(body);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            server.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        /** The recorded request and response JSON of every exchange on {@code path}, in order. */
        List<JsonNode[]> exchanges(String path) throws IOException {
            List<JsonNode[]> out = new ArrayList<>();
            for (Object[] r : recorded) {
                if (r[0].equals(path)) {
                    out.add(new JsonNode[] {JSON.readTree((byte[]) r[1]), JSON.readTree((byte[]) r[2])});
                }
            }
            return out;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
