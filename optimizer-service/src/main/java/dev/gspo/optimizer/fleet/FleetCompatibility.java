package dev.gspo.optimizer.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.ModelFit;
import dev.gspo.optimizer.loop.FleetModelCheck;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks every replica the endpoints name what it serves ({@code GET /v1/policy}: {@code modelType}, {@code vocabSize}
 * and its {@code config.json}, from which every tensor's shape follows) and compares it with a run's model
 * ({@link ModelFit}). A replica that does not answer in time is not held against the run (it may be restarting; it
 * catches up when it answers); a replica too old to send its config is compared by {@code modelType} alone.
 */
public final class FleetCompatibility implements FleetModelCheck {
    private static final Logger log = LoggerFactory.getLogger(FleetCompatibility.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RolloutEndpoints endpoints;
    private final HttpClient http;
    private final Duration timeout;

    public FleetCompatibility(RolloutEndpoints endpoints, HttpClient http, Duration timeout) {
        this.endpoints = endpoints;
        this.http = http;
        this.timeout = timeout;
    }

    @Override
    public List<String> problems(ModelConfig model) {
        List<URI> replicas = endpoints.current();
        List<String> problems = new ArrayList<>();
        try (ExecutorService reads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<List<String>>> checks = replicas.stream()
                    .map(r -> CompletableFuture.supplyAsync(() -> check(r, model), reads))
                    .toList();
            checks.forEach(c -> problems.addAll(c.join()));
        }
        return problems;
    }

    private List<String> check(URI replica, ModelConfig model) {
        Optional<JsonNode> policy = policy(replica);
        if (policy.isEmpty()) {
            return List.of();
        }
        String label = "replica " + replica + " serves";
        JsonNode config = policy.get().get("config");
        List<String> differences;
        if (config != null && config.isObject()) {
            ModelConfig served;
            try {
                served = ModelConfig.fromJson(config, "the config of replica " + replica);
            } catch (RuntimeException e) {
                log.warn("replica {} sent a model config this optimizer cannot read: {}", replica, e.getMessage());
                return List.of();
            }
            differences = ModelFit.differences(model, served, label);
        } else {
            String type = policy.get().path("modelType").asText("");
            differences = type.isEmpty() || type.equals(model.modelType())
                    ? List.of()
                    : List.of("model_type is " + model.modelType() + " but " + label + " " + type);
        }
        return differences.stream()
                .map(d -> "model: the run's model does not fit the fleet: " + d)
                .toList();
    }

    private Optional<JsonNode> policy(URI replica) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(replica.resolve("/v1/policy"))
                            .timeout(timeout)
                            .header("Accept", "application/json")
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                log.info("replica {} answered {} to GET /v1/policy; its model is not checked", replica, r.statusCode());
                return Optional.empty();
            }
            return Optional.of(JSON.readTree(r.body()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception e) {
            log.info("replica {} did not say what it serves ({}); its model is not checked", replica, e.toString());
            return Optional.empty();
        }
    }
}
