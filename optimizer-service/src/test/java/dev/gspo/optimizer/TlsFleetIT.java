package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.optimizer.fleet.FleetClient;
import dev.gspo.optimizer.fleet.FleetException;
import dev.gspo.optimizer.fleet.StaticEndpoints;
import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.publish.PolicyPublisher;
import dev.gspo.optimizer.publish.WeightPublisher;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.RolloutReplica;
import dev.gspo.optimizer.support.TestCertificates;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * TLS between the optimizer and a replica, set up as docs/TLS.md says: a throw-away private CA made by the test, a
 * rollout-service serving https from a PEM SSL bundle ({@code server.ssl.bundle}), and the optimizer trusting the CA
 * through {@code gspo.optimizer.rollout-ssl-bundle}. A real run samples from and publishes to the replica over https;
 * a client without the CA, a plain-http client and a host name the certificate does not name are all refused, each
 * with an error that says why.
 *
 * <p>The certificate names only {@code ip:127.0.0.1} (docs/TLS.md adds {@code dns:localhost}), so that connecting as
 * {@code localhost} shows host names are verified.
 *
 * <p>The replica also requires an API key ({@code gspo.rollout.api-key}), as a production fleet would: the run gets
 * through only because the optimizer sends {@code gspo.optimizer.rollout-api-key} on its rollouts, version reads and
 * model check (pushes carry the push token).
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.push-token=" + RolloutReplica.PUSH_TOKEN,
            "gspo.optimizer.control-token=" + TlsFleetIT.CONTROL,
            "gspo.optimizer.rollout-ssl-bundle=fleet",
            "gspo.optimizer.rollout-api-key=" + TlsFleetIT.API_KEY,
            "gspo.optimizer.max-attempts=1",
            "gspo.optimizer.request-timeout=30s",
            "gspo.optimizer.publish-timeout=10s",
            "logging.level.gspo.progress=WARN"
        })
@DirtiesContext
class TlsFleetIT {
    static final String CONTROL = "tls-it-control-token";
    static final String API_KEY = "tls-it-replica-api-key";
    private static final String ONE_STEP = """
            {"steps":1,"promptsPerStep":2,"groupSize":2,"miniBatches":1,"maxNewTokens":3,"sftSteps":0,"evalSize":0,
             "evalEvery":1,"checkpointEvery":1,"seed":4}""";
    private static TestCertificates certificates;
    private static RolloutReplica replica;
    private static Path runs;

    @Value("${local.server.port}")
    int port;
    /** The optimizer's own client, built from the SSL bundle: the one its fleet client and publisher use. */
    @Autowired
    HttpClient optimizerClient;

    @DynamicPropertySource
    static void fleet(DynamicPropertyRegistry registry) throws IOException {
        if (replica == null) {
            Path dir = Files.createTempDirectory("gspo-tls-it");
            certificates = TestCertificates.create(dir.resolve("pki"), "ip:127.0.0.1");
            replica = RolloutReplica.start(
                    RolloutReplica.PUSH_TOKEN,
                    "--server.ssl.bundle=rollout",
                    "--gspo.rollout.api-key=" + API_KEY,
                    "--spring.ssl.bundle.pem.rollout.keystore.certificate=file:" + certificates.serverCertificate(),
                    "--spring.ssl.bundle.pem.rollout.keystore.private-key=file:" + certificates.serverKey());
            runs = dir.resolve("runs");
        }
        registry.add("gspo.optimizer.rollout-urls", () -> replica.url().toString());
        registry.add(
                "spring.ssl.bundle.pem.fleet.truststore.certificate", () -> "file:" + certificates.caCertificate());
        registry.add("gspo.optimizer.checkpoint-dir", runs::toString);
    }

    @AfterAll
    static void stopReplica() {
        replica.close();
    }

    @Test
    void aRunSamplesFromAndPublishesToAReplicaOverHttps() throws Exception {
        assertThat(replica.url().getScheme()).isEqualTo("https");

        Http.Response started = Http.post(optimizer("/v1/runs"), ONE_STEP, CONTROL);
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        String runId = started.json().get("runId").asText();
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !status(runId).get("state").asText().equals("running"));

        JsonNode done = status(runId);
        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("completed");
        assertThat(Http.get(optimizer("/v1/runs/" + runId + "/metrics")).json().get("steps"))
                .hasSize(1);
        HttpResponse<String> policy = optimizerClient.send(
                HttpRequest.newBuilder(replica.url().resolve("/v1/policy")).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode served = new ObjectMapper().readTree(policy.body());
        assertThat(served.get("version").asLong())
                .isEqualTo(done.get("policyVersion").asLong());
        byte[] trained =
                Files.readAllBytes(Path.of(done.get("lastCheckpoint").asText()).resolve("model.safetensors"));
        assertThat(served.get("sha256").asText()).isEqualTo(PolicyModel.sha256(trained));
    }

    @Test
    void theReplicaRefusesRequestsWithoutItsApiKeySoTheRunAboveShowsTheOptimizerSendsIt() throws Exception {
        HttpClient trustingWithoutKey = HttpClient.newBuilder()
                .sslContext(optimizerClient.sslContext())
                .version(HttpClient.Version.HTTP_1_1)
                .build();

        HttpResponse<String> r = trustingWithoutKey.send(
                HttpRequest.newBuilder(replica.url().resolve("/v1/policy")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
        assertThat(r.body()).contains("needs an API key").doesNotContain(API_KEY);
        assertThat(optimizerClient.toString()).doesNotContain(API_KEY);
    }

    @Test
    void aClientThatDoesNotTrustThePrivateCaIsRefusedAndTheFleetErrorSaysWhy() {
        HttpClient jdkDefaults =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        assertThatThrownBy(() -> jdkDefaults.send(
                        HttpRequest.newBuilder(replica.url().resolve("/v1/policy"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(SSLHandshakeException.class)
                .hasMessageContaining("unable to find valid certification path");

        // what a run of an optimizer without gspo.optimizer.rollout-ssl-bundle fails with
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            WeightPublisher weights =
                    new WeightPublisher(jdkDefaults, RolloutReplica.PUSH_TOKEN, Duration.ofSeconds(5), 1, executor);
            PolicyPublisher publisher = new PolicyPublisher(
                    new StaticEndpoints(List.of(replica.url())), weights, jdkDefaults, Duration.ofSeconds(5), r -> {});
            byte[] body = {1, 2, 3};
            PublishResult.Replica push = weights.pushWithRetries(replica.url(), 1_000, body, PolicyModel.sha256(body));
            assertThat(push.ok()).isFalse();
            assertThat(push.error()).contains("SSLHandshakeException", "unable to find valid certification path");
            FleetClient fleet = new FleetClient(
                    jdkDefaults, publisher, Duration.ofSeconds(5), 1, executor, (uri, outcome, seconds) -> {});
            assertThatThrownBy(
                            () -> fleet.sample(List.of("1+1="), 2, new SamplingParams(3, 1.0, 1.0, 0, List.of()), 1, 0))
                    .isInstanceOf(FleetException.class)
                    .hasMessageContaining(replica.url().toString())
                    .hasMessageContaining("SSLHandshakeException")
                    .hasMessageContaining("unable to find valid certification path");
        }
    }

    @Test
    void plainHttpToTheTlsPortIsAnsweredWithAnErrorThatAsksForTls() throws Exception {
        URI plain = URI.create("http://127.0.0.1:" + replica.url().getPort());

        HttpResponse<String> r = optimizerClient.send(
                HttpRequest.newBuilder(plain.resolve("/v1/policy")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("requires TLS");
    }

    @Test
    void aHostNameTheCertificateDoesNotNameIsRefused() {
        URI byName = URI.create("https://localhost:" + replica.url().getPort() + "/v1/policy");

        assertThatThrownBy(() -> optimizerClient.send(
                        HttpRequest.newBuilder(byName).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(SSLHandshakeException.class)
                .hasMessageContaining("localhost");
    }

    private JsonNode status(String runId) {
        return Http.get(optimizer("/v1/runs/" + runId)).json();
    }

    private URI optimizer(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
