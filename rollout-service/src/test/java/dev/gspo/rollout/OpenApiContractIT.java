package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.testing.OpenApiContract;
import dev.gspo.common.testing.RawHttp;
import dev.gspo.rollout.support.RolloutIT;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The published OpenAPI document ({@code /v3/api-docs}) is the contract: every endpoint's success answer and each of
 * its declared error answers is produced here for real and validated against the document the service itself
 * publishes (status declared for the operation, content type, body schema: the RFC 9457 problem on every error); the
 * success requests are validated too. Every (operation, status) the document declares must be produced, except a 500
 * (no request can cause one) and the 503 of a full decode queue ({@code LoadIT}'s subject), so the document can drift
 * neither way. The 401/403 of the optional API key come from a second replica started with one.
 */
@RolloutIT
@DirtiesContext // pushes a new version
class OpenApiContractIT {
    private static final Set<String> EXEMPT = Set.of(
            "POST /v1/rollouts 500",
            "POST /v1/rollouts 503",
            "GET /v1/policy 500",
            "GET /v1/policy/weights 500",
            "PUT /v1/policy 500",
            "PUT /v1/policy/adapter 500",
            "GET /v1/adapters 500",
            "GET /v1/adapters/{name} 500",
            "PUT /v1/adapters/{name} 500",
            "DELETE /v1/adapters/{name} 500");
    private static final String API_KEY = "contract-api-key";

    @LocalServerPort
    int port;

    @Test
    void everyEndpointAnswersAsItsPublishedDocumentSays() throws Exception {
        URI base = URI.create("http://127.0.0.1:" + port);
        OpenApiContract contract = OpenApiContract.of(base, Map.of());
        assertThat(contract.spec().path("openapi").asText()).startsWith("3.0");
        assertThat(contract.spec().path("info").path("title").asText()).isEqualTo("gspo rollout-service");

        rollouts(contract);
        policy(contract);
        push(contract, base);
        adapterPush(contract, base);
        namedAdapters(contract);
        try (ConfigurableApplicationContext keyed = replicaWithApiKey()) {
            URI other = URI.create("http://127.0.0.1:"
                    + ((WebServerApplicationContext) keyed).getWebServer().getPort());
            for (String[] op : List.of(
                    new String[] {"GET", "/v1/policy"},
                    new String[] {"GET", "/v1/policy/weights"},
                    new String[] {"POST", "/v1/rollouts"},
                    new String[] {"GET", "/v1/adapters"})) {
                contract.exchange(other, op[0], op[1], op[1]).expect(401);
                contract.exchange(other, op[0], op[1], op[1])
                        .header("Authorization", "Bearer not-the-key")
                        .expect(403);
            }
            contract.exchange(other, "GET", "/v1/adapters/{name}", "/v1/adapters/x")
                    .expect(401);
            contract.exchange(other, "GET", "/v1/adapters/{name}", "/v1/adapters/x")
                    .header("Authorization", "Bearer not-the-key")
                    .expect(403);
            contract.exchange(other, "GET", "/v1/policy", "/v1/policy")
                    .header("Authorization", "Bearer " + API_KEY)
                    .valid()
                    .expect(200);
        }
        assertThat(contract.uncovered(EXEMPT))
                .as("declared answers no request produced")
                .isEmpty();
    }

    private static void rollouts(OpenApiContract contract) {
        String path = "/v1/rollouts";
        HttpResponse<String> ok =
                contract.exchange("POST", path, path).json("""
                        {"prompts":[{"id":"p1","tokenIds":[1,4,5]},{"id":"p2","text":"12+3="}],"groupSize":2,
                         "sampling":{"maxNewTokens":4,"temperature":1.0,"topP":0.9,"topK":5,"seed":7,"stop":["\\n"]},
                         "minPolicyVersion":0}""").valid().expect(200);
        assertThat(ok.body()).contains("\"finishReason\":\"length\"");
        // stop strings that any digit or separator ends: the other finishReason
        HttpResponse<String> stopped =
                contract.exchange("POST", path, path).json("""
                        {"prompts":[{"id":"p1","text":"12+3="}],"groupSize":8,
                         "sampling":{"maxNewTokens":8,"seed":7,
                                     "stop":["0","1","2","3","4","5","6","7","8","9","\\n"," ","+","="]}}""").valid().expect(200);
        assertThat(stopped.body()).contains("\"finishReason\":\"stop\"");
        contract.exchange("POST", path, path).json("{\"prompts\": [").expect(400);
        contract.exchange("POST", path, path)
                .json("{\"prompts\":[{\"id\":\"p\",\"text\":\"1+1=\"}],\"groupsize\":2}")
                .expect(400);
        contract.exchange("POST", path, path)
                .json("{\"prompts\":[{\"id\":\"p\",\"tokenIds\":[1]}],\"minPolicyVersion\":1000}")
                .expect(409);
        contract.exchange("POST", path, path)
                .json("{\"prompts\":[{\"id\":\"p\",\"text\":\"" + "1".repeat(20_000) + "\"}]}")
                .expect(413);
        contract.exchange("POST", path, path)
                .body("text/plain", "hello".getBytes(StandardCharsets.UTF_8))
                .expect(415);
        contract.exchange("POST", path, path)
                .json("{\"prompts\":[{\"id\":\"p\",\"tokenIds\":[1, 99999]}]}")
                .expect(422);
    }

    private static void policy(OpenApiContract contract) {
        contract.exchange("GET", "/v1/policy", "/v1/policy").valid().expect(200);
        HttpResponse<String> weights = contract.exchange("GET", "/v1/policy/weights", "/v1/policy/weights")
                .valid()
                .expect(200);
        assertThat(weights.headers().firstValue("X-Content-SHA256")).isPresent();
    }

    private void push(OpenApiContract contract, URI base) throws Exception {
        byte[] served = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(base.resolve("/v1/policy/weights"))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray())
                .body();
        String sha = PolicyModel.sha256(served);
        String path = "/v1/policy";
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", served)
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", sha)
                .expect(401);
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", served)
                .header("Authorization", "Bearer wrong-token")
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", sha)
                .expect(403);
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", served)
                .header("Authorization", "Bearer " + RolloutIT.PUSH_TOKEN)
                .header("X-Content-SHA256", sha)
                .expect(400); // no X-Policy-Version
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", served)
                .header("Authorization", "Bearer " + RolloutIT.PUSH_TOKEN)
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", "0".repeat(64))
                .expect(400); // checksum
        contract.exchange("PUT", path, path)
                .body("application/json", "{}".getBytes(StandardCharsets.UTF_8))
                .header("Authorization", "Bearer " + RolloutIT.PUSH_TOKEN)
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", sha)
                .expect(415);
        List<Safetensors.Tensor> extra = new ArrayList<>(Safetensors.listOf(Safetensors.read(served)));
        extra.add(Safetensors.Tensor.f32("model.extra.weight", new long[] {2}, new float[2]));
        byte[] wrongModel = Safetensors.toBytes(extra, Map.of());
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", wrongModel)
                .header("Authorization", "Bearer " + RolloutIT.PUSH_TOKEN)
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", PolicyModel.sha256(wrongModel))
                .expect(422);
        contract.answer(
                "PUT",
                path,
                path,
                RawHttp.send(
                        port,
                        "PUT /v1/policy HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + RolloutIT.PUSH_TOKEN
                                + "\r\nX-Policy-Version: 1\r\nX-Content-SHA256: " + sha
                                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 3000000000",
                        new byte[0]));
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", served)
                .header("Authorization", "Bearer " + RolloutIT.PUSH_TOKEN)
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", sha)
                .valid()
                .expect(200);
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", served)
                .header("Authorization", "Bearer " + RolloutIT.PUSH_TOKEN)
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", sha)
                .expect(409); // not ahead of the served version
    }

    /** After {@link #push}: the replica keeps the served weights (version 1) as its base. */
    private void adapterPush(OpenApiContract contract, URI base) throws Exception {
        com.fasterxml.jackson.databind.JsonNode info = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(contract.exchange("GET", "/v1/policy", "/v1/policy")
                        .valid()
                        .expect(200)
                        .body());
        dev.gspo.common.model.ModelConfig config =
                dev.gspo.common.model.ModelConfig.fromJson(info.get("config"), "GET /v1/policy");
        String baseSha = info.get("baseSha256").asText();
        dev.gspo.common.model.LoraConfig lora = dev.gspo.common.model.LoraConfig.of(2, 4);
        List<Safetensors.Tensor> tensors = new ArrayList<>();
        List<Safetensors.Tensor> nan = new ArrayList<>();
        for (dev.gspo.common.model.TensorSpec spec : dev.gspo.common.model.LoraWeights.specs(config, lora)) {
            float[] d = new float[Math.toIntExact(spec.elementCount())];
            java.util.Arrays.fill(d, 0.01f);
            String name = dev.gspo.common.lora.PeftAdapter.peftName(spec.name());
            tensors.add(Safetensors.Tensor.f32(name, spec.shape(), d));
            float[] bad = d.clone();
            bad[0] = Float.NaN;
            nan.add(Safetensors.Tensor.f32(name, spec.shape(), bad));
        }
        Map<String, String> metadata = Map.of(
                "peft_type", "LORA", "r", "2", "lora_alpha", "4", "target_modules", String.join(",", lora.targets()));
        byte[] adapter = Safetensors.toBytes(tensors, metadata);
        byte[] poisoned = Safetensors.toBytes(nan, metadata);
        String sha = PolicyModel.sha256(adapter);
        String path = "/v1/policy/adapter";
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", adapter)
                .header("X-Policy-Version", "2")
                .header("X-Content-SHA256", sha)
                .header("X-Base-SHA256", baseSha)
                .expect(401);
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", adapter)
                .header("Authorization", "Bearer wrong-token")
                .header("X-Policy-Version", "2")
                .header("X-Content-SHA256", sha)
                .header("X-Base-SHA256", baseSha)
                .expect(403);
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", adapter)
                .header("Authorization", "Bearer " + RolloutIT.PUSH_TOKEN)
                .header("X-Policy-Version", "2")
                .header("X-Content-SHA256", sha)
                .expect(400); // no X-Base-SHA256
        contract.exchange("PUT", path, path)
                .body("application/json", "{}".getBytes(StandardCharsets.UTF_8))
                .header("Authorization", "Bearer " + RolloutIT.PUSH_TOKEN)
                .header("X-Policy-Version", "2")
                .header("X-Content-SHA256", sha)
                .header("X-Base-SHA256", baseSha)
                .expect(415);
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", adapter)
                .header("Authorization", "Bearer " + RolloutIT.PUSH_TOKEN)
                .header("X-Policy-Version", "2")
                .header("X-Content-SHA256", sha)
                .header("X-Base-SHA256", "0".repeat(64))
                .expect(409); // another base
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", poisoned)
                .header("Authorization", "Bearer " + RolloutIT.PUSH_TOKEN)
                .header("X-Policy-Version", "2")
                .header("X-Content-SHA256", PolicyModel.sha256(poisoned))
                .header("X-Base-SHA256", baseSha)
                .expect(422);
        contract.answer(
                "PUT",
                path,
                path,
                RawHttp.send(
                        port,
                        "PUT /v1/policy/adapter HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                                + RolloutIT.PUSH_TOKEN + "\r\nX-Policy-Version: 2\r\nX-Content-SHA256: " + sha
                                + "\r\nX-Base-SHA256: " + baseSha
                                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 3000000000",
                        new byte[0]));
        contract.exchange("PUT", path, path)
                .body("application/octet-stream", adapter)
                .header("Authorization", "Bearer " + RolloutIT.PUSH_TOKEN)
                .header("X-Policy-Version", "2")
                .header("X-Content-SHA256", sha)
                .header("X-Base-SHA256", baseSha)
                .valid()
                .expect(200);
    }

    /** After {@link #adapterPush}: named adapters over the served weights (version 2). */
    private void namedAdapters(OpenApiContract contract) throws Exception {
        com.fasterxml.jackson.databind.JsonNode info = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(contract.exchange("GET", "/v1/policy", "/v1/policy")
                        .valid()
                        .expect(200)
                        .body());
        dev.gspo.common.model.ModelConfig config =
                dev.gspo.common.model.ModelConfig.fromJson(info.get("config"), "GET /v1/policy");
        String servedSha = info.get("sha256").asText();
        dev.gspo.common.model.LoraConfig lora = dev.gspo.common.model.LoraConfig.of(2, 4);
        List<Safetensors.Tensor> tensors = new ArrayList<>();
        List<Safetensors.Tensor> nan = new ArrayList<>();
        for (dev.gspo.common.model.TensorSpec spec : dev.gspo.common.model.LoraWeights.specs(config, lora)) {
            float[] d = new float[Math.toIntExact(spec.elementCount())];
            java.util.Arrays.fill(d, 0.01f);
            String name = dev.gspo.common.lora.PeftAdapter.peftName(spec.name());
            tensors.add(Safetensors.Tensor.f32(name, spec.shape(), d));
            float[] bad = d.clone();
            bad[0] = Float.NaN;
            nan.add(Safetensors.Tensor.f32(name, spec.shape(), bad));
        }
        Map<String, String> metadata = Map.of(
                "peft_type", "LORA", "r", "2", "lora_alpha", "4", "target_modules", String.join(",", lora.targets()));
        byte[] adapter = Safetensors.toBytes(tensors, metadata);
        byte[] poisoned = Safetensors.toBytes(nan, metadata);
        String sha = PolicyModel.sha256(adapter);
        String template = "/v1/adapters/{name}";
        String path = "/v1/adapters/contract";
        String push = "Bearer " + RolloutIT.PUSH_TOKEN;
        contract.exchange("PUT", template, path)
                .body("application/octet-stream", adapter)
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", sha)
                .header("X-Base-SHA256", servedSha)
                .expect(401);
        contract.exchange("PUT", template, path)
                .body("application/octet-stream", adapter)
                .header("Authorization", "Bearer wrong-token")
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", sha)
                .header("X-Base-SHA256", servedSha)
                .expect(403);
        contract.exchange("PUT", template, "/v1/adapters/Not_A_Name")
                .body("application/octet-stream", adapter)
                .header("Authorization", push)
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", sha)
                .header("X-Base-SHA256", servedSha)
                .expect(400);
        contract.exchange("PUT", template, path)
                .body("application/json", "{}".getBytes(StandardCharsets.UTF_8))
                .header("Authorization", push)
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", sha)
                .header("X-Base-SHA256", servedSha)
                .expect(415);
        contract.exchange("PUT", template, path)
                .body("application/octet-stream", adapter)
                .header("Authorization", push)
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", sha)
                .header("X-Base-SHA256", "0".repeat(64))
                .expect(409); // another base
        contract.exchange("PUT", template, path)
                .body("application/octet-stream", poisoned)
                .header("Authorization", push)
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", PolicyModel.sha256(poisoned))
                .header("X-Base-SHA256", servedSha)
                .expect(422);
        contract.answer(
                "PUT",
                template,
                path,
                RawHttp.send(
                        port,
                        "PUT " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + push
                                + "\r\nX-Policy-Version: 1\r\nX-Content-SHA256: " + sha + "\r\nX-Base-SHA256: "
                                + servedSha
                                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 3000000000",
                        new byte[0]));
        contract.exchange("PUT", template, path)
                .body("application/octet-stream", adapter)
                .header("Authorization", push)
                .header("X-Policy-Version", "1")
                .header("X-Content-SHA256", sha)
                .header("X-Base-SHA256", servedSha)
                .valid()
                .expect(200);
        contract.exchange("GET", "/v1/adapters", "/v1/adapters").valid().expect(200);
        contract.exchange("GET", template, path).valid().expect(200);
        contract.exchange("GET", template, "/v1/adapters/nobody").expect(404);
        contract.exchange("GET", template, "/v1/adapters/No_Name").expect(400);
        contract.exchange("POST", "/v1/rollouts", "/v1/rollouts")
                .json("{\"prompts\":[{\"id\":\"p\",\"tokenIds\":[1,4]}],\"groupSize\":2,"
                        + "\"sampling\":{\"maxNewTokens\":3,\"seed\":1},\"adapter\":\"contract\"}")
                .valid()
                .expect(200);
        contract.exchange("POST", "/v1/rollouts", "/v1/rollouts")
                .json("{\"prompts\":[{\"id\":\"p\",\"tokenIds\":[1,4]}],\"adapter\":\"nobody\"}")
                .expect(404);
        contract.exchange("DELETE", template, path).expect(401);
        contract.exchange("DELETE", template, path)
                .header("Authorization", "Bearer wrong-token")
                .expect(403);
        contract.exchange("DELETE", template, "/v1/adapters/No_Name")
                .header("Authorization", push)
                .expect(400);
        contract.exchange("DELETE", template, path)
                .header("Authorization", push)
                .expect(204);
        contract.exchange("DELETE", template, path)
                .header("Authorization", push)
                .expect(404);
    }

    private static ConfigurableApplicationContext replicaWithApiKey() {
        return new SpringApplicationBuilder(dev.gspo.rollout.RolloutApplication.class)
                .run(
                        "--server.port=0",
                        "--server.address=127.0.0.1",
                        "--gspo.rollout.seed=7",
                        "--gspo.rollout.api-key=" + API_KEY,
                        "--spring.jmx.enabled=false",
                        "--logging.level.dev.gspo=WARN");
    }
}
