package dev.gspo.optimizer.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.reward.HttpRewardSpec;
import dev.gspo.common.reward.RewardInput;
import dev.gspo.common.reward.RewardScores;
import dev.gspo.optimizer.support.RewardContract;
import dev.gspo.optimizer.support.TestCertificates;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example reward server users copy ({@code examples/reward-server/reward_server.py}), started by the test on
 * 127.0.0.1 as its docstring says, scored through the optimizer's client: its answers follow the contract's schema, it
 * enforces its token, and it serves https. Needs {@code python3} (skipped, and says so, without it).
 */
class ExampleRewardServerTest {
    private static final Path EXAMPLE = Path.of("..", "examples", "reward-server", "reward_server.py");
    private static final String TOKEN = "Ej4Tn9Xa2Wd7Qk1Zm5Rb8Fc3";
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopExamples() throws InterruptedException {
        for (Process p : started) {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts the example with {@code args} and returns the URL its ready line names. */
    private URI startExample(String... args) throws IOException {
        assumeTrue(python3Available(), "python3 is not on the PATH: the example reward server cannot run");
        List<String> command = new ArrayList<>(List.of("python3", EXAMPLE.toString(), "--port", "0"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("REWARD_TOKEN", TOKEN);
        Process p = pb.start();
        started.add(p);
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
        assertThat(ready).as("the example's ready line").startsWith("listening on ");
        return URI.create(ready.substring("listening on ".length()));
    }

    private static boolean python3Available() {
        try {
            Process p = new ProcessBuilder("python3", "--version")
                    .redirectErrorStream(true)
                    .start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static RemoteRewardClient client(HttpClient http, URI url, String token) {
        return new RemoteRewards(http, token == null ? Map.of() : Map.of("grader", token), Duration.ofMillis(10))
                .client(new HttpRewardSpec(
                        "example", 1.0, url.toString(), token == null ? null : "grader", 10.0, 2, 2, 1));
    }

    private static List<RewardInput> inputs() {
        return List.of(
                new RewardInput("1-0-0", "Capital of France?", " Paris ", "paris", 3, Map.of("step", 1L)),
                new RewardInput("1-0-1", "Capital of France?", "Lyon", "paris", 2, Map.of("step", 1L)),
                new RewardInput("1-1-0", "2+2=", "4", "4", 1, Map.of("step", 1L)));
    }

    @Test
    void theExampleScoresThroughTheClientAndAnswersAsTheContractSays() throws Exception {
        URI url = startExample("--token-env", "REWARD_TOKEN");
        HttpClient http = HttpClient.newHttpClient();

        RewardScores scores = client(http, url, TOKEN).score(inputs());

        assertThat(scores.scores()).containsExactly(1.0, 0.0, 1.0);
        assertThat(scores.components().get("chars")).containsExactly(7.0, 4.0, 1.0);
        assertThat(client(http, url, TOKEN).probe()).isNull();
        String body = http.send(
                        HttpRequest.newBuilder(url)
                                .header("Authorization", "Bearer " + TOKEN)
                                .POST(HttpRequest.BodyPublishers.ofString("""
                                        {"items":[{"id":"a","prompt":"p","response":"x","answer":"x","metadata":{}}]}"""))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(RewardContract.responseProblems(new ObjectMapper().readTree(body)))
                .isEmpty();
    }

    @Test
    void theExampleRefusesAMissingOrWrongToken() throws IOException {
        URI url = startExample("--token-env", "REWARD_TOKEN");
        HttpClient http = HttpClient.newHttpClient();

        assertThatThrownBy(() -> client(http, url, null).score(inputs()))
                .hasMessageContaining("HTTP 401 (no token was sent: set tokenSecret)");
        assertThatThrownBy(() -> client(http, url, "wrong-token").score(inputs()))
                .hasMessageContaining("HTTP 401 (the server refused the token)");
    }

    @Test
    void theExampleServesHttpsWithAGivenCertificate(@TempDir Path dir) throws Exception {
        TestCertificates pki = TestCertificates.create(dir, "ip:127.0.0.1");
        URI url = startExample(
                "--cert",
                pki.serverCertificate().toString(),
                "--key",
                pki.serverKey().toString());
        HttpClient trusting = HttpClient.newBuilder()
                .sslContext(trusting(pki.caCertificate()))
                .build();

        assertThat(url.getScheme()).isEqualTo("https");
        assertThat(client(trusting, url, null).score(inputs()).scores()).containsExactly(1.0, 0.0, 1.0);
    }

    private static SSLContext trusting(Path caCertificate) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caCertificate)) {
            trust.setCertificateEntry(
                    "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
