package dev.gspo.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml: valid against the Compose Specification's schema (no docker compose here to ask), and every
 * reference holding: build contexts and Dockerfiles, published ports = server ports, mounted provisioning and config
 * paths, depends_on targets with health checks, Prometheus targets, the optimizer's replica URLs, the tokens.
 */
class DockerComposeTest {
    static final Path COMPOSE = Repo.path("docker-compose.yml");
    /** Container ports of the third-party images used (their defaults). */
    private static final Map<String, Integer> IMAGE_PORTS = Map.of("prom/prometheus", 9090, "grafana/grafana", 3000);

    static Map<String, Object> compose() {
        return Yamls.loadMap(COMPOSE);
    }

    static Map<String, Map<String, Object>> services() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        Yamls.map(compose().get("services")).forEach((k, v) -> out.put(k, Yamls.map(v)));
        return out;
    }

    /** Services built from one of this repository's Dockerfiles. */
    static Map<String, Map<String, Object>> builtServices() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        services().forEach((k, v) -> {
            if (v.containsKey("build")) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** rollout-service / optimizer-service: the module whose Dockerfile builds a service. */
    static String serviceModule(Map<String, Object> service) {
        Path dockerfile = Path.of(String.valueOf(Yamls.map(service.get("build")).get("dockerfile")));
        return dockerfile.getParent().toString();
    }

    /** The port the service listens on inside its container. */
    static int serverPort(Map<String, Object> service) {
        if (service.containsKey("build")) {
            Object port = Yamls.map(service.get("environment")).get("SERVER_PORT");
            if (port == null) {
                port = Dockerfile.parse(Repo.path(serviceModule(service) + "/Dockerfile"))
                        .finalStage()
                        .env()
                        .get("SERVER_PORT");
            }
            return Integer.parseInt(String.valueOf(port));
        }
        String image = String.valueOf(service.get("image"));
        return IMAGE_PORTS.get(image.substring(0, image.lastIndexOf(':')));
    }

    @Test
    void isValidAgainstTheComposeSpecificationSchema() throws Exception {
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7)
                .getSchema(SchemaLocation.of("classpath:compose-spec/compose-spec.json"));
        JsonNode document = Yamls.tree(compose());
        Set<ValidationMessage> errors = schema.validate(document);
        assertThat(errors).extracting(ValidationMessage::getMessage).isEmpty();

        JsonNode typo = document.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) typo.path("services").path("optimizer"))
                .put("helthcheck", "x");
        assertThat(schema.validate(typo))
                .as("the schema catches a misspelt key")
                .isNotEmpty();
    }

    @Test
    void buildContextsAndDockerfilesExist() {
        assertThat(builtServices()).hasSizeGreaterThanOrEqualTo(3);
        for (Map.Entry<String, Map<String, Object>> s : builtServices().entrySet()) {
            Map<String, Object> build = Yamls.map(s.getValue().get("build"));
            Path context = COMPOSE.getParent()
                    .resolve(String.valueOf(build.get("context")))
                    .normalize();
            assertThat(context)
                    .as(s.getKey() + " build context (the Dockerfiles need the repository root)")
                    .isEqualTo(Repo.ROOT);
            assertThat(context.resolve(String.valueOf(build.get("dockerfile"))))
                    .as(s.getKey() + " Dockerfile")
                    .isRegularFile();
            assertThat(String.valueOf(s.getValue().get("image"))).startsWith("gspo/" + serviceModule(s.getValue()));
        }
    }

    @Test
    void twoRolloutReplicasAndTheOptimizerRunningTheDefaultJobAtBoot() {
        Map<String, Map<String, Object>> built = builtServices();
        List<String> replicas = built.entrySet().stream()
                .filter(e -> serviceModule(e.getValue()).equals("rollout-service"))
                .map(Map.Entry::getKey)
                .toList();
        assertThat(replicas).hasSizeGreaterThanOrEqualTo(2);
        Map<String, Object> optimizer = built.get("optimizer");
        Map<String, Object> env = Yamls.map(optimizer.get("environment"));
        assertThat(env.get("GSPO_OPTIMIZER_BOOT_RUN_ENABLED")).isEqualTo("true");
        Set<String> urls =
                Set.of(String.valueOf(env.get("GSPO_OPTIMIZER_ROLLOUT_URLS")).split(","));
        Set<String> expected = replicas.stream()
                .map(r -> "http://" + r + ":" + serverPort(built.get(r)))
                .collect(Collectors.toSet());
        assertThat(urls)
                .as("GSPO_OPTIMIZER_ROLLOUT_URLS = every replica at its server port")
                .isEqualTo(expected);
        assertThat(Yamls.map(optimizer.get("depends_on")).keySet()).containsAll(replicas);
    }

    @Test
    void portsArePublishedOnLoopbackOnlyAndTargetTheServerPorts() {
        Set<String> hostPorts = new LinkedHashSet<>();
        for (Map.Entry<String, Map<String, Object>> s : services().entrySet()) {
            List<Object> ports = Yamls.list(s.getValue().get("ports"));
            assertThat(ports).as(s.getKey() + " publishes a port").isNotEmpty();
            for (Object p : ports) {
                String[] parts = String.valueOf(p).split(":");
                assertThat(parts)
                        .as(s.getKey() + " " + p + ": use 127.0.0.1:HOST:CONTAINER")
                        .hasSize(3);
                assertThat(parts[0]).as(s.getKey() + " binds loopback only").isEqualTo("127.0.0.1");
                assertThat(Integer.parseInt(parts[2]))
                        .as(s.getKey() + " container port = its server port")
                        .isEqualTo(serverPort(s.getValue()));
                assertThat(hostPorts.add(parts[1]))
                        .as("host port " + parts[1] + " used twice")
                        .isTrue();
            }
        }
    }

    @Test
    void everyServiceHasAHealthCheckAndAMemoryLimit() {
        for (Map.Entry<String, Map<String, Object>> s : services().entrySet()) {
            Map<String, Object> health = Yamls.map(s.getValue().get("healthcheck"));
            assertThat(health).as(s.getKey() + " healthcheck").containsKey("test");
            Object memory = Yamls.map(
                            Yamls.map(Yamls.map(s.getValue().get("deploy")).get("resources"))
                                    .get("limits"))
                    .get("memory");
            assertThat(memory)
                    .as(s.getKey() + " deploy.resources.limits.memory")
                    .isNotNull();
            if (s.getValue().containsKey("build")) {
                String test = String.join(
                        " ",
                        Yamls.list(health.get("test")).stream()
                                .map(String::valueOf)
                                .toList());
                assertThat(test)
                        .as(s.getKey())
                        .contains("http://127.0.0.1:" + serverPort(s.getValue()) + "/actuator/health/readiness");
            }
        }
    }

    @Test
    void dependsOnTargetsExistAndAreHealthChecked() {
        Map<String, Map<String, Object>> services = services();
        for (Map.Entry<String, Map<String, Object>> s : services.entrySet()) {
            Object dependsOn = s.getValue().get("depends_on");
            if (dependsOn == null) {
                continue;
            }
            assertThat(dependsOn)
                    .as(s.getKey() + ": use the long form with a condition")
                    .isInstanceOf(Map.class);
            Yamls.map(dependsOn).forEach((target, spec) -> {
                assertThat(services).as(s.getKey() + " depends on " + target).containsKey(target);
                assertThat(Yamls.map(spec).get("condition"))
                        .as(s.getKey() + " → " + target)
                        .isEqualTo("service_healthy");
                assertThat(services.get(target))
                        .as(target + " needs a healthcheck")
                        .containsKey("healthcheck");
            });
        }
        assertThat(services.get("grafana")).containsKey("depends_on");
        assertThat(services.get("prometheus")).containsKey("depends_on");
    }

    @Test
    void bindMountsExistAndNamedVolumesAreDeclared() {
        Set<String> declared = Yamls.map(compose().get("volumes")).keySet();
        for (Map.Entry<String, Map<String, Object>> s : services().entrySet()) {
            for (Object v : Yamls.list(s.getValue().get("volumes"))) {
                String source = String.valueOf(v).split(":")[0];
                if (source.startsWith(".") || source.startsWith("/")) {
                    assertThat(COMPOSE.getParent().resolve(source).normalize())
                            .as(s.getKey() + " mounts " + source)
                            .exists();
                } else {
                    assertThat(declared).as(s.getKey() + " volume " + source).contains(source);
                }
            }
        }
        // DJL_CACHE_DIR of each image is on a volume.
        for (Map.Entry<String, Map<String, Object>> s : builtServices().entrySet()) {
            String cache = Dockerfile.parse(Repo.path(serviceModule(s.getValue()) + "/Dockerfile"))
                    .finalStage()
                    .env()
                    .get("DJL_CACHE_DIR");
            assertThat(mountTargets(s.getValue())).as(s.getKey()).containsKey(cache);
        }
    }

    @Test
    void prometheusScrapesEveryServiceAtItsActuatorEndpointAndLoadsTheAlerts() {
        Map<String, Object> prometheus = services().get("prometheus");
        Map<String, Path> mounts = mountTargets(prometheus);
        String configArg = Yamls.list(prometheus.get("command")).stream()
                .map(String::valueOf)
                .filter(a -> a.startsWith("--config.file="))
                .findFirst()
                .orElseThrow()
                .substring(14);
        Path config = containerPathOnHost(mounts, configArg);
        assertThat(config).as("--config.file on the host").isEqualTo(Repo.path("deploy/prometheus/prometheus.yml"));
        Map<String, Object> prom = Yamls.loadMap(config);
        for (Object rf : Yamls.list(prom.get("rule_files"))) {
            assertThat(config.getParent().resolve(String.valueOf(rf))).isRegularFile();
        }
        Map<String, String> scraped = new LinkedHashMap<>();
        for (Object j : Yamls.list(prom.get("scrape_configs"))) {
            Map<String, Object> job = Yamls.map(j);
            for (Object sc : Yamls.list(job.get("static_configs"))) {
                for (Object t : Yamls.list(Yamls.map(sc).get("targets"))) {
                    scraped.put(String.valueOf(t), String.valueOf(job.getOrDefault("metrics_path", "/metrics")));
                }
            }
        }
        for (Map.Entry<String, Map<String, Object>> s : builtServices().entrySet()) {
            String target = s.getKey() + ":" + serverPort(s.getValue());
            assertThat(scraped).as("Prometheus scrapes " + target).containsEntry(target, "/actuator/prometheus");
        }
    }

    @Test
    void grafanaProvisionsThePrometheusDatasourceAndTheDashboardFolder() {
        Map<String, Object> grafana = services().get("grafana");
        Map<String, Path> mounts = mountTargets(grafana);
        Path provisioning = mounts.get("/etc/grafana/provisioning");
        assertThat(provisioning).isEqualTo(Repo.path("deploy/grafana/provisioning"));

        Map<String, Object> datasource =
                Yamls.map(Yamls.list(Yamls.loadMap(provisioning.resolve("datasources/prometheus.yml"))
                                .get("datasources"))
                        .getFirst());
        assertThat(datasource.get("type")).isEqualTo("prometheus");
        Map<String, Object> prometheus = services().get("prometheus");
        assertThat(datasource.get("url")).isEqualTo("http://prometheus:" + serverPort(prometheus));

        Map<String, Object> provider = Yamls.map(Yamls.list(Yamls.loadMap(provisioning.resolve("dashboards/gspo.yml"))
                        .get("providers"))
                .getFirst());
        String path = String.valueOf(Yamls.map(provider.get("options")).get("path"));
        assertThat(containerPathOnHost(mounts, path))
                .as("dashboard provider path on the host")
                .isEqualTo(Repo.path("deploy/grafana/dashboards"));
        String home =
                String.valueOf(Yamls.map(grafana.get("environment")).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"));
        assertThat(containerPathOnHost(mounts, home)).isEqualTo(Repo.path(Dashboard.FILE));
    }

    @Test
    void tokensComeFromRequiredVariablesThatEnvExampleDefines() throws Exception {
        Map<String, Map<String, Object>> built = builtServices();
        Set<String> pushTokens = new LinkedHashSet<>();
        for (Map<String, Object> s : built.values()) {
            Map<String, Object> env = Yamls.map(s.get("environment"));
            env.forEach((k, v) -> {
                if (k.endsWith("_TOKEN")) {
                    assertThat(String.valueOf(v))
                            .as(k + " must come from .env, required (${VAR:?message})")
                            .matches("\\$\\{[A-Z_]+:\\?.+}");
                }
                if (k.endsWith("PUSH_TOKEN")) {
                    pushTokens.add(String.valueOf(v));
                }
            });
        }
        assertThat(pushTokens).as("replicas and optimizer share one push token").hasSize(1);

        Set<String> variables = new LinkedHashSet<>();
        Matcher m = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)").matcher(Repo.read(COMPOSE));
        while (m.find()) {
            variables.add(m.group(1));
        }
        Set<String> defined = Repo.read(".env.example")
                .lines()
                .filter(l -> l.contains("=") && !l.startsWith("#"))
                .map(l -> l.substring(0, l.indexOf('=')))
                .collect(Collectors.toSet());
        assertThat(defined)
                .as(".env.example defines every variable docker-compose.yml uses")
                .containsAll(variables);
        assertThat(Files.readAllLines(Repo.path(".gitignore")))
                .as(".env stays out of git")
                .contains(".env");
    }

    /** Container path → host path of a service's bind mounts. */
    static Map<String, Path> mountTargets(Map<String, Object> service) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (Object v : Yamls.list(service.get("volumes"))) {
            String[] parts = String.valueOf(v).split(":");
            out.put(parts[1], COMPOSE.getParent().resolve(parts[0]).normalize());
        }
        return out;
    }

    private static Path containerPathOnHost(Map<String, Path> mounts, String containerPath) {
        List<String> targets = new ArrayList<>(mounts.keySet());
        targets.sort((a, b) -> b.length() - a.length());
        for (String target : targets) {
            if (containerPath.equals(target) || containerPath.startsWith(target + "/")) {
                return mounts.get(target)
                        .resolve(containerPath.substring(target.length()).replaceFirst("^/", ""))
                        .normalize();
            }
        }
        throw new AssertionError(containerPath + " is on no mounted volume of " + mounts.keySet());
    }
}
