package dev.gspo.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every environment variable that the images, docker-compose.yml and k8s/ give a service and that Spring Boot binds
 * to a property ({@code GSPO_ROLLOUT_*}, {@code GSPO_OPTIMIZER_*}, {@code SERVER_*}, {@code MANAGEMENT_*},
 * {@code SPRING_*}) names a property that service has. A misspelt variable would otherwise be ignored at start.
 * See {@link SpringProperties} for where the known properties come from.
 */
class ConfigurationPropertiesTest {
    static final List<String> SERVICES = List.of("rollout-service", "optimizer-service");

    /** One environment variable given to one service by one deployment file. */
    record EnvUse(String service, String variable, String where) {}

    static List<EnvUse> uses() {
        List<EnvUse> uses = new ArrayList<>();
        for (String service : SERVICES) {
            Path file = Repo.path(service + "/Dockerfile");
            Dockerfile.parse(file)
                    .finalStage()
                    .env()
                    .keySet()
                    .forEach(v -> uses.add(new EnvUse(service, v, Repo.relative(file))));
        }
        for (Deployment d : K8s.BASE.all(Deployment.class)) {
            String service = KubernetesManifestsTest.service(d);
            for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
                for (EnvVar e : c.getEnv()) {
                    uses.add(new EnvUse(
                            service,
                            e.getName(),
                            "k8s Deployment " + d.getMetadata().getName()));
                }
            }
        }
        for (Map.Entry<String, Map<String, Object>> s :
                DockerComposeTest.builtServices().entrySet()) {
            String service = DockerComposeTest.serviceModule(s.getValue());
            for (String v : Yamls.map(s.getValue().get("environment")).keySet()) {
                uses.add(new EnvUse(service, v, "docker-compose.yml service " + s.getKey()));
            }
        }
        return uses;
    }

    static boolean bindsToSpring(String variable) {
        return variable.startsWith("GSPO_")
                || variable.startsWith("SERVER_")
                || variable.startsWith("MANAGEMENT_")
                || variable.startsWith("SPRING_");
    }

    @Test
    void everySpringEnvironmentVariableNamesAPropertyOfItsService() {
        List<String> problems = new ArrayList<>();
        List<String> matched = new ArrayList<>();
        for (String service : SERVICES) {
            SpringProperties.Known known = SpringProperties.forService(service);
            System.out.printf("%s: own properties from %s%n", service, known.ownSource());
            for (EnvUse use : uses()) {
                if (!use.service().equals(service) || !bindsToSpring(use.variable())) {
                    continue;
                }
                Optional<SpringProperties.Property> p = known.propertyFor(use.variable());
                if (p.isEmpty()) {
                    problems.add(use.where() + ": " + use.variable() + " is no property of " + service
                            + " (checked against Spring Boot's metadata and " + known.ownSource() + ")");
                } else {
                    matched.add(use.variable() + " → " + p.get().name());
                }
            }
        }
        assertThat(problems).isEmpty();
        assertThat(matched).isNotEmpty();
    }

    @Test
    void eachServiceGetsOnlyItsOwnGspoPrefix() {
        for (EnvUse use : uses()) {
            if (use.variable().startsWith("GSPO_ROLLOUT_")) {
                assertThat(use.service()).as(use.toString()).isEqualTo("rollout-service");
            }
            if (use.variable().startsWith("GSPO_OPTIMIZER_")) {
                assertThat(use.service()).as(use.toString()).isEqualTo("optimizer-service");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rollout-service", "optimizer-service"})
    void theDesignSection3KeysAreDeclaredInTheServicesConfigurationMetadata(String service) {
        SpringProperties.Known known = SpringProperties.forService(service);
        assumeTrue(
                known.fromServiceMetadata(),
                service + " has no " + service
                        + "/target/classes/META-INF/spring-configuration-metadata.json yet (no @ConfigurationProperties "
                        + "records): the env var check used design-properties.txt instead");
        assertThat(known.properties().keySet()).containsAll(SpringProperties.designKeys(service));
    }

    @Test
    void environmentVariablesMapToPropertiesAsSpringBootBindsThem() {
        SpringProperties.Known optimizer = SpringProperties.forService("optimizer-service");
        assertThat(optimizer.propertyFor("GSPO_OPTIMIZER_BOOT_RUN_ENABLED"))
                .map(SpringProperties.Property::name)
                .contains("gspo.optimizer.boot-run.enabled");
        assertThat(optimizer.propertyFor("GSPO_OPTIMIZER_BOOTRUN_ENABLED"))
                .map(SpringProperties.Property::name)
                .contains("gspo.optimizer.boot-run.enabled");
        assertThat(optimizer.propertyFor("SERVER_PORT"))
                .map(SpringProperties.Property::name)
                .contains("server.port");
        assertThat(optimizer.propertyFor("MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED"))
                .map(SpringProperties.Property::name)
                .contains("management.endpoint.health.probes.enabled");
        assertThat(optimizer.propertyFor("MANAGEMENT_METRICS_TAGS_APPLICATION"))
                .as("a key of a Map property")
                .map(SpringProperties.Property::name)
                .contains("management.metrics.tags");
        assertThat(optimizer.propertyFor("GSPO_OPTIMIZER_CHECKPOINT_DIRR")).isEmpty();
        assertThat(optimizer.propertyFor("GSPO_ROLLOUT_MODEL_DIR"))
                .as("another service's property")
                .isEmpty();
        assertThat(optimizer.propertyFor("SERVER_PROT")).isEmpty();
    }
}
