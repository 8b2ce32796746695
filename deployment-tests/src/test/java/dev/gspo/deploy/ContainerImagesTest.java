package dev.gspo.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * Builds both images from their Dockerfiles and runs the rollout image to readiness and one POST /v1/rollouts.
 * Needs a Docker daemon: where there is none (as on the development machines of this project) JUnit reports the
 * class as skipped with the reason "disabledWithoutDocker is true and Docker is not available". Slow (a Maven build
 * inside each image, the built-in model made at start); everything else in this module is quick.
 */
@Testcontainers(disabledWithoutDocker = true)
@DisplayName("Container images (needs a Docker daemon; SKIPPED where there is none)")
class ContainerImagesTest {
    private static final String PUSH_TOKEN = "test-push-token";

    /**
     * The build context holds exactly what the Dockerfile copies (its COPY sources), not the whole checkout with its
     * target/ directories; the Dockerfile is given by its path in that context, as {@code docker build -f} would.
     */
    static ImageFromDockerfile image(String service) {
        String dockerfile = service + "/Dockerfile";
        ImageFromDockerfile image = new ImageFromDockerfile("gspo/" + service + "-test", true)
                .withFileFromPath(dockerfile, Repo.path(dockerfile));
        for (Dockerfile.Copy copy : Dockerfile.parse(Repo.path(dockerfile)).copies()) {
            if (!copy.flags().containsKey("from")) {
                for (String source : copy.sources()) {
                    String path = source.replaceAll("/$", "");
                    image.withFileFromPath(path, Repo.path(path));
                }
            }
        }
        @SuppressWarnings("deprecation")
        ImageFromDockerfile withPath = image.withDockerfilePath(dockerfile);
        return withPath;
    }

    @Test
    @DisplayName("the optimizer image builds from optimizer-service/Dockerfile")
    void theOptimizerImageBuilds() throws Exception {
        assertThat(image("optimizer-service").get()).isNotBlank();
    }

    @Test
    @DisplayName("the rollout image builds, becomes ready and serves POST /v1/rollouts")
    void theRolloutImageBecomesReadyAndServesARollout() throws Exception {
        try (GenericContainer<?> rollout = new GenericContainer<>(image("rollout-service"))
                .withEnv("GSPO_ROLLOUT_PUSH_TOKEN", PUSH_TOKEN)
                .withExposedPorts(8081)
                .waitingFor(Wait.forHttp("/actuator/health/readiness")
                        .forPort(8081)
                        .forStatusCode(200)
                        .withStartupTimeout(Duration.ofMinutes(10)))) {
            rollout.start();
            URI base = URI.create("http://" + rollout.getHost() + ":" + rollout.getMappedPort(8081));
            String body = """
                    {"prompts":[{"id":"p1","text":"12+34="}],"groupSize":2,
                     "sampling":{"maxNewTokens":4,"temperature":1.0,"topP":1.0,"topK":0,"seed":7}}""";
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(base.resolve("/v1/rollouts"))
                                    .header("Content-Type", "application/json")
                                    .timeout(Duration.ofMinutes(2))
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode json = Yamls.JSON.readTree(response.body());
            assertThat(json.path("policyVersion").isIntegralNumber()).isTrue();
            assertThat(json.path("groups").get(0).path("promptId").asText()).isEqualTo("p1");
            assertThat(json.path("groups").get(0).path("samples")).hasSize(2);
            assertThat(rollout.getLogs()).doesNotContain("Picked up JDK_JAVA_OPTIONS: \n");
        }
    }
}
