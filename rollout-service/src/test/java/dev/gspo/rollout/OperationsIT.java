package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gspo.common.wire.PromptInput;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.common.wire.SamplingSpec;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/** What operators rely on: Prometheus meters (docs/ARCHITECTURE.md §9), health probes, the OpenAPI document. */
@RolloutIT
class OperationsIT {
    @LocalServerPort
    int port;

    TestClient client;

    @BeforeEach
    void setUp() {
        client = new TestClient(port);
    }

    @Test
    void exportsTheRolloutMetersWithTheApplicationTag() {
        double tokensBefore = metric("gspo_rollout_tokens_generated_total").orElse(0.0);
        double samplesBefore = metric("gspo_rollout_samples_total").orElse(0.0);

        RolloutResponse r = client.rollout(
                new RolloutRequest(List.of(PromptInput.tokens("m", 2, 3)), 3, SamplingSpec.of(5, 1.0, 3), null));

        String scrape = client.get("/actuator/prometheus").body();
        assertThat(metric("gspo_rollout_tokens_generated_total")).hasValueSatisfying(v -> assertThat(v - tokensBefore)
                .isEqualTo((double) r.usage().completionTokens()));
        assertThat(metric("gspo_rollout_samples_total"))
                .hasValueSatisfying(v -> assertThat(v - samplesBefore).isEqualTo(3.0));
        assertThat(metric("gspo_policy_version")).hasValue((double) r.policyVersion());
        assertThat(scrape)
                .contains(
                        "gspo_rollout_request_duration_seconds_count{application=\"rollout-service\",outcome=\"success\"}",
                        "gspo_rollout_batch_sequences_count{application=\"rollout-service\"}",
                        "gspo_rollout_queue_sequences{application=\"rollout-service\"}");
    }

    @Test
    void exportsTheRunningBatchDecodeStepsAndFreeSlots() {
        double stepsBefore = metric("gspo_rollout_decode_steps_total").orElse(0.0);

        RolloutResponse r = client.rollout(
                new RolloutRequest(List.of(PromptInput.tokens("m", 2, 3)), 2, SamplingSpec.of(6, 1.0, 4), null));

        int longest = r.groups().getFirst().samples().stream()
                .mapToInt(s -> s.tokenIds().length)
                .max()
                .orElseThrow();
        // a prefill gives each row its first token, then one decode step per further token of the longest row (the
        // last step is counted after the rows are handed back, so the scrape may trail the answer briefly)
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(metric("gspo_rollout_decode_steps_total"))
                    .hasValueSatisfying(v -> assertThat(v - stepsBefore).isEqualTo(longest - 1.0));
            assertThat(metric("gspo_rollout_running_sequences")).hasValue(0.0);
            assertThat(metric("gspo_rollout_free_slots")).hasValue(64.0); // gspo.rollout.max-batch-sequences
        });
    }

    @Test
    void countsRejectedRequestsUnderTheirOutcome() {
        client.post("/v1/rollouts", "application/json", "{\"prompts\":[],\"groupSize\":1}");

        assertThat(client.get("/actuator/prometheus").body())
                .contains(
                        "gspo_rollout_request_duration_seconds_count{application=\"rollout-service\",outcome=\"invalid\"}");
    }

    @Test
    void isLiveAndReadyOnceThePolicyIsLoaded() {
        HttpResponse<String> readiness = client.get("/actuator/health/readiness");
        HttpResponse<String> liveness = client.get("/actuator/health/liveness");

        assertThat(readiness.statusCode()).isEqualTo(200);
        assertThat(TestClient.tree(readiness.body()).path("status").asText()).isEqualTo("UP");
        assertThat(liveness.statusCode()).isEqualTo(200);
        assertThat(client.get("/actuator/health").statusCode()).isEqualTo(200);
    }

    @Test
    void exposesOnlyHealthInfoAndPrometheus() {
        assertThat(client.get("/actuator/info").statusCode()).isEqualTo(200);
        assertThat(client.get("/actuator/env").statusCode()).isEqualTo(404);
        assertThat(client.get("/actuator/beans").statusCode()).isEqualTo(404);
        assertThat(client.get("/actuator/configprops").statusCode()).isEqualTo(404);
    }

    @Test
    void publishesTheOpenApiDocument() {
        HttpResponse<String> docs = client.get("/v3/api-docs");

        assertThat(docs.statusCode()).isEqualTo(200);
        assertThat(TestClient.tree(docs.body()).path("paths").fieldNames())
                .toIterable()
                .contains("/v1/rollouts", "/v1/policy", "/v1/policy/weights");
        assertThat(docs.body()).contains("RolloutRequest", "RolloutResponse", "PolicyInfo");
        com.fasterxml.jackson.databind.JsonNode finishReason = TestClient.tree(docs.body())
                .path("components")
                .path("schemas")
                .path("Sample")
                .path("properties")
                .path("finishReason");
        assertThat(finishReason.path("enum").toString()).isEqualTo("[\"eos\",\"stop\",\"length\"]");
        assertThat(finishReason.path("description").asText()).contains("truncated");
    }

    private Optional<Double> metric(String name) {
        String scrape = client.get("/actuator/prometheus").body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{application=\"rollout-service\"[^}]*} (\\S+)$")
                .matcher(scrape);
        return m.find() ? Optional.of(Double.parseDouble(m.group(1))) : Optional.empty();
    }
}
