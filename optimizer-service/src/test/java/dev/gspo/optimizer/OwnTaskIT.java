package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.common.model.TestModels;
import dev.gspo.common.testing.ChatGoldens;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.RewardContract;
import dev.gspo.optimizer.support.RolloutReplica;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * "Bring your own task", end to end: a random-weight qwen3 policy with Qwen3's real vocabulary and chat template
 * (hidden size 16) trains on a {@code messages} JSONL dataset through both real services (a rollout-service on
 * 127.0.0.1, this optimizer-service), rewarded by the built-in {@code math} function and by an {@code http} function
 * served by the example reward server users copy ({@code examples/reward-server/reward_server.py}, started by the test
 * with {@code python3}, recording what it is sent). Responses end at the run's stop string, at the model's EOS or at
 * {@code maxNewTokens}; truncated ones are masked out of the loss. Then every bad dataset of a run config is refused at
 * {@code POST /v1/runs} with a 422 naming the file and what is wrong, before any step.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.push-token=" + RolloutReplica.PUSH_TOKEN,
            "gspo.optimizer.control-token=" + OwnTaskIT.CONTROL_TOKEN,
            "gspo.optimizer.request-timeout=60s",
            "gspo.optimizer.publish-timeout=30s",
            "gspo.optimizer.run-metrics-linger=10m", // a finished run's series stay while the test reads them
            "logging.level.gspo.progress=WARN"
        })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OwnTaskIT {
    static final String CONTROL_TOKEN = "own-task-it-control-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path EXAMPLE_SERVER = Path.of("..", "examples", "reward-server", "reward_server.py");
    private static final Path WORK = tempDir();
    private static final Path MODEL = WORK.resolve("qwen3-tiny-chat");
    private static final Path DATA = WORK.resolve("math-chat.jsonl");
    private static final Path RECORDED = WORK.resolve("reward-items.jsonl");
    /** Conversations rendered by @huggingface/jinja with the generation prompt: the prompts the policy must see. */
    private static final List<JsonNode> GOLDENS = ChatGoldens.cases(ChatGoldens.QWEN3_CONVERSATIONS).stream()
            .filter(c -> c.path("addGenerationPrompt").asBoolean() && !c.has("enableThinking"))
            .toList();

    private static RolloutReplica replica;
    private static Process rewardServer;
    private static URI rewardUrl;

    @Value("${local.server.port}")
    int port;

    @DynamicPropertySource
    static void fleet(DynamicPropertyRegistry registry) throws IOException {
        if (replica == null) {
            TestModels.writeQwen3Chat(MODEL, 16, 11);
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < GOLDENS.size(); i++) {
                ObjectNode line = JSON.createObjectNode();
                line.set("messages", GOLDENS.get(i).path("messages"));
                line.put("answer", String.valueOf(40 + i));
                line.putObject("metadata")
                        .put("golden", GOLDENS.get(i).path("name").asText())
                        .put("row", i);
                lines.add(JSON.writeValueAsString(line));
            }
            Files.write(DATA, lines);
            rewardServer = startExampleRewardServer();
            replica = RolloutReplica.start(RolloutReplica.PUSH_TOKEN, "--gspo.rollout.model-dir=" + MODEL);
        }
        registry.add("gspo.optimizer.rollout-urls", () -> replica.url().toString());
        registry.add("gspo.optimizer.checkpoint-dir", () -> WORK.resolve("runs").toString());
        registry.add("gspo.optimizer.model-dirs", WORK::toString);
        registry.add("gspo.optimizer.data-dirs", WORK::toString);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (rewardServer != null) {
            rewardServer.destroy();
            rewardServer.waitFor(10, TimeUnit.SECONDS);
        }
        if (replica != null) {
            replica.close();
        }
    }

    @Test
    @Order(1)
    void aChatModelTrainsOnAMessagesDatasetWithTheMathRewardAndARemoteRewardServer() throws IOException {
        String body = """
                {"model": {"source": "%s"},
                 "task": {"name": "jsonl", "path": "%s", "heldOutFraction": 0.2},
                 "rewards": [{"fn": "math"},
                             {"fn": "http", "name": "grader", "url": "%s", "weight": 0.5, "batchSize": 3}],
                 "steps": 2, "seed": 5,
                 "sampling": {"promptsPerStep": 3, "groupSize": 2, "maxNewTokens": 5, "temperature": 1.0,
                              "stop": ["e"]},
                 "objective": {"maskTruncated": true},
                 "optimizer": {"learningRate": 0.001, "miniBatches": 1},
                 "eval": {"every": 2, "size": 2}}""".formatted(MODEL, DATA, rewardUrl);
        Http.Response started = Http.post(optimizer("/v1/runs"), body, CONTROL_TOKEN);
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        String runId = started.json().get("runId").asText();

        await().atMost(Duration.ofMinutes(4))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> !status(runId).get("state").asText().equals("running"));
        JsonNode done = status(runId);
        assertThat(done.get("state").asText()).as("%s", done).isEqualTo("completed");
        assertThat(done.get("config").get("sampling").get("stop")).hasSize(1);
        assertThat(done.get("config").get("objective").get("maskTruncated").asBoolean())
                .isTrue();

        // what the example reward server was sent: every training sample, as the contract says
        List<JsonNode> items = new ArrayList<>();
        for (String line : Files.readAllLines(RECORDED)) {
            items.add(JSON.readTree(line));
        }
        Map<String, String> renderingOfGolden = new HashMap<>();
        GOLDENS.forEach(g -> renderingOfGolden.put(
                g.path("name").asText(), g.path("expected").asText()));
        Map<Long, int[]> lengthAndAllOfStep = new HashMap<>();
        for (JsonNode item : items) {
            assertThat(RewardContract.requestProblems(JSON.createObjectNode()
                            .set("items", JSON.createArrayNode().add(item))))
                    .isEmpty();
            JsonNode metadata = item.get("metadata");
            JsonNode line = metadata.get("exampleMetadata");
            assertThat(line).as("the dataset line's metadata, as is: %s", item).isNotNull();
            assertThat(item.get("prompt").asText())
                    .as("the conversation rendered through Qwen3's chat template with the generation prompt")
                    .isEqualTo(renderingOfGolden.get(line.get("golden").asText()));
            assertThat(item.get("answer").asText())
                    .isEqualTo(String.valueOf(40 + line.get("row").asInt()));
            assertThat(metadata.get("exampleId").asText())
                    .isEqualTo(DATA.getFileName() + ":" + (line.get("row").asInt() + 1));
            String reason = metadata.get("finishReason").asText();
            assertThat(reason).isIn("eos", "stop", "length");
            if (reason.equals("length")) {
                assertThat(metadata.get("responseTokens").asInt()).isEqualTo(5);
            }
            assertThat(item.get("response").asText())
                    .as("the text ends before the first stop string")
                    .doesNotContain("e");
            if (metadata.has("step")) {
                int[] counts =
                        lengthAndAllOfStep.computeIfAbsent(metadata.get("step").asLong(), k -> new int[2]);
                counts[0] += reason.equals("length") ? 1 : 0;
                counts[1]++;
            }
        }
        assertThat(lengthAndAllOfStep).as("6 samples in each of the 2 steps").containsOnlyKeys(1L, 2L);
        assertThat(lengthAndAllOfStep.values()).allSatisfy(c -> assertThat(c[1]).isEqualTo(6));

        JsonNode steps =
                Http.get(optimizer("/v1/runs/" + runId + "/metrics")).json().get("steps");
        assertThat(steps).hasSize(2);
        for (JsonNode step : steps) {
            List<String> functions = new ArrayList<>();
            step.get("rewards").fieldNames().forEachRemaining(functions::add);
            assertThat(functions.subList(0, 2))
                    .as("the functions in config order")
                    .containsExactly("math", "grader");
            assertThat(functions.subList(2, functions.size()))
                    .as("then the example server's components")
                    .containsExactlyInAnyOrder("grader.correct", "grader.chars");
            int[] counts = lengthAndAllOfStep.get(step.get("step").asLong());
            assertThat(step.get("truncatedFraction").asDouble())
                    .as("the share of 'length' answers the reward server saw in step %s", step.get("step"))
                    .isEqualTo(counts[0] / 6.0);
            if (counts[0] < 6) {
                assertThat(step.get("loss").isNumber())
                        .as("trained on the responses that ended")
                        .isTrue();
                assertThat(step.get("mismatchMax").asDouble()).isLessThan(1e-3);
            } else {
                assertThat(step.get("loss").asText())
                        .as("every response truncated and masked")
                        .isEqualTo("NaN");
            }
        }
        String scrape = Http.get(optimizer("/actuator/prometheus")).body();
        assertThat(scrape)
                .containsPattern("(?m)^gspo_train_reward\\{application=\"optimizer-service\",fn=\"math\",run=\"" + runId
                        + "\"} \\S+$")
                .containsPattern("(?m)^gspo_train_reward\\{application=\"optimizer-service\",fn=\"grader\",run=\""
                        + runId + "\"} \\S+$")
                .containsPattern("(?m)^gspo_train_truncated_fraction\\{application=\"optimizer-service\",run=\"" + runId
                        + "\"} \\S+$");
        JsonNode policy = Http.get(replica.url().resolve("/v1/policy")).json();
        assertThat(policy.get("version").asLong())
                .isEqualTo(done.get("policyVersion").asLong());
    }

    @Test
    @Order(2)
    void aMissingEmptyOrMalformedDatasetIsRefusedNamingTheFileAndTheLine() throws IOException {
        Path missing = WORK.resolve("missing.jsonl");
        assertRefused(dataset(missing), "task.path: '" + missing + "' does not exist");

        Path empty = Files.writeString(WORK.resolve("empty.jsonl"), "\n\n");
        assertRefused(dataset(empty), "task: " + empty + ": no examples (expected one JSON object per line)");

        Path malformed = Files.writeString(WORK.resolve("malformed.jsonl"), """
                {"prompt": "1+1=", "answer": "2"}
                {"prompt": "2+2=", "answer": "4"}
                {"prompt": "3+3=", "answer": 6
                """);
        assertRefused(dataset(malformed), "task: " + malformed + ": line 3: invalid JSON (line 1, column 31)");

        Path noAnswer = Files.writeString(WORK.resolve("no-answer.jsonl"), """
                {"messages": [{"role": "user", "content": "1+1?"}], "answer": "2"}
                {"messages": [{"role": "user", "content": "2+2?"}]}
                """);
        assertRefused(dataset(noAnswer), "task: " + noAnswer + ": line 2: \"answer\" must be a string or a number");
    }

    @Test
    @Order(3)
    void aPromptLongerThanTheModelsContextIsRefusedSayingByHowMuch() throws IOException {
        ObjectNode longLine = JSON.createObjectNode();
        longLine.putArray("messages")
                .addObject()
                .put("role", "user")
                .put("content", "count the sheep: " + "sheep ".repeat(600));
        longLine.put("answer", "600");
        Path tooLong = Files.writeString(
                WORK.resolve("too-long.jsonl"),
                "{\"messages\": [{\"role\": \"user\", \"content\": \"1+1?\"}], \"answer\": \"2\"}\n"
                        + JSON.writeValueAsString(longLine) + "\n");

        Http.Response r = post(dataset(tooLong));
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.json().get("detail").asText())
                .matches("task.path '" + java.util.regex.Pattern.quote(tooLong.toString())
                        + "': example 'too-long.jsonl:2' has a prompt of 6\\d\\d tokens \\(rendered through the chat"
                        + " template\\), more than the 504 a prompt may have: max_position_embeddings 512 of"
                        + " model.source '.*' − sampling.maxNewTokens 8; shorten the prompt or lower"
                        + " sampling.maxNewTokens");
    }

    /**
     * Qwen3-0.6B's config.json over the small chat model's other files: 2.38 GB of float32 weights, more than one
     * safetensors body holds. Refused when the run is created, before anything is loaded, naming the limit.
     */
    @Test
    @Order(4)
    void aModelTooLargeToPublishAsOneBodyIsRefusedWhenTheRunIsCreated() throws IOException {
        Path big = WORK.resolve("qwen3-0.6b-config");
        Files.createDirectories(big);
        try (var files = Files.list(MODEL)) {
            for (Path f : files.toList()) {
                Files.copy(f, big.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.writeString(big.resolve("config.json"), """
                {"model_type":"qwen3","vocab_size":151936,"hidden_size":1024,"intermediate_size":3072,
                 "num_hidden_layers":28,"num_attention_heads":16,"num_key_value_heads":8,"head_dim":128,
                 "max_position_embeddings":40960,"rope_theta":1000000,"rms_norm_eps":1e-6,
                 "tie_word_embeddings":true,"eos_token_id":151645}""");
        Http.Response r = post("""
                {"model": {"source": "%s"}, "steps": 1, "sampling": {"promptsPerStep": 1, "groupSize": 2,
                 "maxNewTokens": 8}, "eval": {"size": 0}, "optimizer": {"miniBatches": 1}}""".formatted(big));
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.contentType()).startsWith("application/problem+json");
        // 4 bytes × 596,049,920 = 2,384,199,680, plus the JSON header
        assertThat(r.json().get("detail").asText())
                .matches("model\\.source: model_type qwen3 with 596,049,920 parameters is too large: its float32"
                        + " weights make a 2,384,2\\d\\d,\\d{3}-byte safetensors body, and gspo-java serves,"
                        + " publishes and checkpoints a model's weights as one body of at most 2,147,483,639 bytes"
                        + " \\(about 536M float32 parameters\\)");
    }

    private String dataset(Path path) {
        return """
                {"model": {"source": "%s"}, "task": {"name": "jsonl", "path": "%s"}, "steps": 1,
                 "sampling": {"promptsPerStep": 1, "groupSize": 2, "maxNewTokens": 8}, "eval": {"size": 0},
                 "optimizer": {"miniBatches": 1}}""".formatted(MODEL, path);
    }

    private void assertRefused(String body, String detail) {
        Http.Response r = post(body);
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.json().get("detail").asText()).isEqualTo(detail);
    }

    private Http.Response post(String body) {
        return Http.post(optimizer("/v1/runs"), body, CONTROL_TOKEN);
    }

    private JsonNode status(String runId) {
        return Http.get(optimizer("/v1/runs/" + runId)).json();
    }

    private URI optimizer(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** The shipped example reward server on a free port of 127.0.0.1, recording every item it is sent. */
    private static Process startExampleRewardServer() throws IOException {
        Process p = new ProcessBuilder(
                        "python3", EXAMPLE_SERVER.toString(), "--port", "0", "--record", RECORDED.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String ready = CompletableFuture.supplyAsync(() -> {
                    try {
                        return out.readLine();
                    } catch (IOException e) {
                        return null;
                    }
                })
                .completeOnTimeout(null, 30, TimeUnit.SECONDS)
                .join();
        if (ready == null || !ready.startsWith("listening on ")) {
            p.destroyForcibly();
            throw new IllegalStateException("the example reward server (python3 " + EXAMPLE_SERVER
                    + ") did not start: its first line was " + ready);
        }
        rewardUrl = URI.create(ready.substring("listening on ".length()));
        return p;
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("gspo-own-task-it");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
