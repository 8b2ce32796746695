package dev.gspo.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two Dockerfiles (read, not built: there is no Docker daemon here; {@link ContainerImagesTest} builds them where
 * there is one) and .dockerignore.
 */
class DockerfileTest {
    private static Dockerfile dockerfile(String service) {
        return Dockerfile.parse(Repo.path(service + "/Dockerfile"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rollout-service", "optimizer-service"})
    void buildsTheBootJarWithMavenOnJdk25AndRunsItOnTheTemurin25Jre(String service) {
        Dockerfile f = dockerfile(service);
        assertThat(f.stages().size()).as("multi-stage").isGreaterThanOrEqualTo(2);
        Dockerfile.Stage build = f.stages().getFirst();
        assertThat(build.image()).startsWith("maven:").contains("eclipse-temurin-25");
        assertThat(f.finalStage().image()).isEqualTo("eclipse-temurin:25-jre");
        String runs = String.join(
                "\n",
                build.all("RUN").stream().map(Dockerfile.Instruction::arguments).toList());
        assertThat(runs)
                .contains("-pl " + service + " -am")
                .contains(" package")
                .contains(service + "/target/" + service + "-*.jar");
        assertThat(f.finalStage().all("ENTRYPOINT")).singleElement().satisfies(e -> assertThat(e.arguments())
                .startsWith("[\"java\""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rollout-service", "optimizer-service"})
    void theBuildStageCopiesEveryModulePomOfTheReactor(String service) {
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(Repo.read("pom.xml"));
        List<String> modules = new ArrayList<>();
        while (m.find()) {
            modules.add(m.group(1).strip());
        }
        assertThat(modules).contains(service, "common", "deployment-tests");
        List<String> copied = dockerfile(service).copies().stream()
                .filter(c -> !c.flags().containsKey("from"))
                .flatMap(c -> c.sources().stream())
                .toList();
        assertThat(copied).contains("pom.xml", ".mvn/");
        for (String module : modules) {
            assertThat(copied)
                    .as("Maven reads every module's pom: COPY " + module + "/pom.xml")
                    .contains(module + "/pom.xml");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rollout-service", "optimizer-service"})
    void everyCopiedPathExistsAndIsNotExcludedByDockerignore(String service) {
        List<PathMatcher> ignored = dockerignore();
        for (Dockerfile.Copy c : dockerfile(service).copies()) {
            if (c.flags().containsKey("from")) {
                continue;
            }
            for (String source : c.sources()) {
                Path path = Repo.path(source);
                assertThat(path)
                        .as(service + "/Dockerfile:" + c.line() + " COPY " + source)
                        .exists();
                assertThat(excluded(ignored, source.replaceAll("/$", "")))
                        .as(source + " excluded by .dockerignore")
                        .isFalse();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rollout-service", "optimizer-service"})
    void runsAsANonRootUserWithTheContainerJvmFlagsAndTheDjlCacheOnAVolume(String service) {
        Dockerfile.Stage runtime = dockerfile(service).finalStage();
        String user = runtime.all("USER").getLast().arguments();
        assertThat(user)
                .doesNotStartWith("root")
                .doesNotStartWith("0:")
                .isNotEqualTo("0")
                .matches("\\d+:\\d+");
        String jvm = runtime.env().get("JDK_JAVA_OPTIONS");
        assertThat(jvm)
                .contains(
                        "-XX:MaxRAMPercentage=75",
                        "-Dai.djl.offline=true",
                        "--enable-native-access=ALL-UNNAMED",
                        "--add-modules jdk.incubator.vector");
        String cache = runtime.env().get("DJL_CACHE_DIR");
        assertThat(cache).isNotBlank();
        assertThat(runtime.all("VOLUME")).singleElement().satisfies(v -> assertThat(v.arguments())
                .contains(cache));
        assertThat(runtime.env()).containsEntry("DJL_OFFLINE", "true");
    }

    @ParameterizedTest
    @ValueSource(strings = {"rollout-service", "optimizer-service"})
    void exposesItsServerPortAndHealthChecksReadinessThere(String service) {
        Dockerfile.Stage runtime = dockerfile(service).finalStage();
        String port = runtime.env().get("SERVER_PORT");
        assertThat(port).isEqualTo(service.equals("rollout-service") ? "8081" : "8080");
        assertThat(runtime.all("EXPOSE")).singleElement().satisfies(e -> assertThat(e.arguments())
                .isEqualTo(port));
        assertThat(runtime.all("HEALTHCHECK")).singleElement().satisfies(h -> assertThat(h.arguments())
                .contains("--start-period=")
                .contains("CMD")
                .contains("http://127.0.0.1:${SERVER_PORT}/actuator/health/readiness"));
        assertThat(runtime.env()).containsEntry("MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED", "true");
        assertThat(runtime.env().get("MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE"))
                .contains("health", "prometheus");
    }

    @Test
    void theOptimizerImageCanCarryACudaLibtorchForDjl() {
        Dockerfile f = dockerfile("optimizer-service");
        assertThat(f.stages()).anySatisfy(s -> assertThat(s.args()).containsKeys("LIBTORCH_URL", "LIBTORCH_FLAVOR"));
        assertThat(f.finalStage().env())
                .containsEntry("PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib")
                .containsEntry("PYTORCH_FLAVOR", "${LIBTORCH_FLAVOR}");
        assertThat(f.finalStage().args()).containsEntry("LIBTORCH_FLAVOR", "cpu");
        assertThat(f.copies()).anySatisfy(c -> assertThat(c.destination()).isEqualTo("/opt/libtorch/"));
        assertThat(Repo.read("optimizer-service/Dockerfile")).contains("pytorch-native-cu128 is NOT on Maven Central");
        assertThat(Repo.read("docs/DEPLOY.md"))
                .contains("PYTORCH_LIBRARY_PATH")
                .contains("pytorch-native-cu128")
                .contains("LIBTORCH_URL");
    }

    @Test
    void dockerignoreKeepsBuildOutputAndGitOutOfTheContext() {
        List<PathMatcher> ignored = dockerignore();
        assertThat(excluded(ignored, "common/target")).isTrue();
        assertThat(excluded(ignored, "rollout-service/target/rollout-service-0.1.0-SNAPSHOT.jar"))
                .isTrue();
        assertThat(excluded(ignored, ".git")).isTrue();
        assertThat(excluded(ignored, ".env")).isTrue();
        assertThat(excluded(ignored, "common/src/main/java")).isFalse();
        assertThat(Repo.read(".dockerignore").lines().filter(l -> l.startsWith("!")))
                .as("exceptions (!) are not " + "supported by this test's matcher")
                .isEmpty();
    }

    /** .dockerignore patterns as glob matchers; "**&#47;x" also matches "x" at the root, as Docker's does. */
    static List<PathMatcher> dockerignore() {
        List<PathMatcher> out = new ArrayList<>();
        for (String line : Repo.read(".dockerignore").lines().map(String::strip).toList()) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            out.add(FileSystems.getDefault().getPathMatcher("glob:" + line));
            if (line.startsWith("**/")) {
                out.add(FileSystems.getDefault().getPathMatcher("glob:" + line.substring(3)));
            }
        }
        return out;
    }

    /** Excluded when the path or one of its parent directories matches a pattern. */
    static boolean excluded(List<PathMatcher> patterns, String relative) {
        for (Path p = Path.of(relative); p != null; p = p.getParent()) {
            Path candidate = p;
            if (patterns.stream().anyMatch(m -> m.matches(candidate))) {
                return true;
            }
        }
        return false;
    }
}
