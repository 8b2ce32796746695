package dev.gspo.deploy;

import static dev.gspo.deploy.K8s.BASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * k8s/ as {@code kubectl apply -k k8s/} would apply it: every object typed (unknown fields fail, see
 * {@link StrictKubernetes}), and every reference between objects resolving.
 */
class KubernetesManifestsTest {
    private static final String NAMESPACE = "gspo";

    private static Deployment rollout() {
        return BASE.one(Deployment.class, "rollout");
    }

    private static Deployment optimizer() {
        return BASE.one(Deployment.class, "optimizer");
    }

    @Test
    void everyManifestParsesIntoItsTypedModelRejectingUnknownFields() {
        assertThatCode(() -> Kustomize.build(Repo.path("k8s"))).doesNotThrowAnyException();
        Set<String> kinds =
                BASE.manifests().stream().map(m -> m.object().getKind()).collect(Collectors.toSet());
        assertThat(kinds)
                .contains(
                        "Namespace",
                        "ConfigMap",
                        "Secret",
                        "Deployment",
                        "Service",
                        "HorizontalPodAutoscaler",
                        "PodDisruptionBudget",
                        "PersistentVolumeClaim",
                        "ServiceMonitor",
                        "PrometheusRule");
        for (Kustomize.Manifest m : BASE.manifests()) {
            if (m.object() instanceof GenericKubernetesResource) {
                assertThat(StrictKubernetes.UNTYPED).as(m.describe()).contains(StrictKubernetes.key(m.object()));
            }
        }
    }

    @Test
    void everyYamlFileUnderK8sIsAResourceOfTheKustomization() throws IOException {
        Set<Path> used =
                BASE.manifests().stream().map(Kustomize.Manifest::source).collect(Collectors.toSet());
        try (Stream<Path> files = Files.walk(Repo.path("k8s"))) {
            List<Path> orphans = files.filter(
                            p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .filter(p -> !p.getFileName().toString().equals("kustomization.yaml"))
                    .map(p -> p.toAbsolutePath().normalize())
                    .filter(p -> !used.contains(p))
                    .toList();
            assertThat(orphans)
                    .as("manifests that kubectl apply -k would not apply")
                    .isEmpty();
        }
    }

    @Test
    void everythingLivesInTheGspoNamespaceWithUniqueNames() {
        assertThat(BASE.all(Namespace.class))
                .extracting(n -> n.getMetadata().getName())
                .containsExactly(NAMESPACE);
        Set<String> seen = new HashSet<>();
        for (Kustomize.Manifest m : BASE.manifests()) {
            HasMetadata o = m.object();
            if (!(o instanceof Namespace)) {
                assertThat(o.getMetadata().getNamespace()).as(m.describe()).isEqualTo(NAMESPACE);
            }
            assertThat(seen.add(o.getKind() + "/" + o.getMetadata().getName()))
                    .as("duplicate " + m.describe())
                    .isTrue();
            assertThat(o.getMetadata().getLabels())
                    .as(m.describe() + " labels")
                    .containsEntry("app.kubernetes.io/part-of", "gspo");
        }
    }

    @Test
    void deploymentSelectorsMatchTheirPodTemplates() {
        for (Deployment d : BASE.all(Deployment.class)) {
            var selector = d.getSpec().getSelector();
            assertThat(selector.getMatchExpressions())
                    .as(d.getMetadata().getName())
                    .isNullOrEmpty();
            assertThat(K8s.selects(
                            selector.getMatchLabels(),
                            K8s.template(d).getMetadata().getLabels()))
                    .as(
                            "Deployment %s: selector %s vs pod labels %s",
                            d.getMetadata().getName(),
                            selector.getMatchLabels(),
                            K8s.template(d).getMetadata().getLabels())
                    .isTrue();
        }
    }

    @Test
    void everyServiceSelectsPodsAndTargetsANamedContainerPort() {
        for (Service s : BASE.all(Service.class)) {
            String name = s.getMetadata().getName();
            List<Deployment> backends = BASE.all(Deployment.class).stream()
                    .filter(d -> K8s.selects(
                            s.getSpec().getSelector(),
                            K8s.template(d).getMetadata().getLabels()))
                    .toList();
            assertThat(backends).as("Deployments selected by Service " + name).hasSize(1);
            for (ServicePort port : s.getSpec().getPorts()) {
                assertThat(port.getName()).as(name + " port name").isNotBlank();
                for (Deployment d : backends) {
                    assertThat(containerPort(d, port.getTargetPort()))
                            .as(
                                    "Service %s port %s → targetPort %s in Deployment %s",
                                    name,
                                    port.getName(),
                                    port.getTargetPort(),
                                    d.getMetadata().getName())
                            .isNotNull();
                }
            }
        }
    }

    @Test
    void theHeadlessServicePublishesOnlyReadyRolloutPodsToTheOptimizersDnsDiscovery() {
        Service headless = BASE.one(Service.class, "rollout-headless");
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).isFalse();
        assertThat(K8s.selects(
                        headless.getSpec().getSelector(),
                        K8s.template(rollout()).getMetadata().getLabels()))
                .isTrue();
        int port = headless.getSpec().getPorts().getFirst().getPort();
        assertThat(containerPort(rollout(), new IntOrString(port)))
                .as("headless port = container port")
                .isNotNull();

        Map<String, String> env = K8s.resolvedEnv(BASE, K8s.container(optimizer()));
        assertThat(env.get("GSPO_OPTIMIZER_ROLLOUT_DNS"))
                .as("GSPO_OPTIMIZER_ROLLOUT_DNS")
                .isEqualTo(headless.getMetadata().getName() + "." + NAMESPACE + ".svc.cluster.local:" + port);
        assertThat(env).doesNotContainKey("GSPO_OPTIMIZER_ROLLOUT_URLS");
    }

    @Test
    void theRolloutFleetHasTwoOrMoreReplicasAnAutoscalerAndADisruptionBudget() {
        Deployment rollout = rollout();
        int replicas = rollout.getSpec().getReplicas();
        assertThat(replicas).isGreaterThanOrEqualTo(2);

        List<HorizontalPodAutoscaler> hpas = BASE.all(HorizontalPodAutoscaler.class);
        assertThat(hpas).hasSize(1);
        var target = hpas.getFirst().getSpec().getScaleTargetRef();
        assertThat(target.getApiVersion()).isEqualTo("apps/v1");
        assertThat(target.getKind()).isEqualTo("Deployment");
        assertThat(BASE.one(Deployment.class, target.getName()))
                .as("HPA target")
                .isSameAs(rollout);
        int min = hpas.getFirst().getSpec().getMinReplicas();
        int max = hpas.getFirst().getSpec().getMaxReplicas();
        assertThat(min).isGreaterThanOrEqualTo(2).isLessThanOrEqualTo(replicas);
        assertThat(max).isGreaterThan(min);
        assertThat(hpas.getFirst().getSpec().getMetrics()).isNotEmpty().allSatisfy(m -> assertThat(requests(rollout))
                .as("HPA on %s needs a request", m.getResource().getName())
                .containsKey(m.getResource().getName()));

        List<PodDisruptionBudget> pdbs = BASE.all(PodDisruptionBudget.class);
        assertThat(pdbs).hasSize(1);
        PodDisruptionBudget pdb = pdbs.getFirst();
        assertThat(K8s.selects(
                        pdb.getSpec().getSelector().getMatchLabels(),
                        K8s.template(rollout).getMetadata().getLabels()))
                .as("PDB selects the rollout pods")
                .isTrue();
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isBetween(1, min - 1);
    }

    @Test
    void theOptimizerIsOneRecreatedPodOnAGpuNodeWithItsCheckpointsOnAClaim() {
        Deployment optimizer = optimizer();
        assertThat(optimizer.getSpec().getReplicas()).isEqualTo(1);
        assertThat(optimizer.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        Container c = K8s.container(optimizer);
        assertThat(c.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));
        var pod = K8s.template(optimizer).getSpec();
        assertThat(pod.getNodeSelector()).isNotEmpty();
        assertThat(pod.getTolerations()).anySatisfy(t -> assertThat(t.getKey()).isEqualTo("nvidia.com/gpu"));

        String checkpointDir = K8s.resolvedEnv(BASE, c).get("GSPO_OPTIMIZER_CHECKPOINT_DIR");
        VolumeMount mount = c.getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals(checkpointDir))
                .findFirst()
                .orElseThrow(() -> new AssertionError("nothing mounted at the checkpoint dir " + checkpointDir));
        Volume volume = pod.getVolumes().stream()
                .filter(v -> v.getName().equals(mount.getName()))
                .findFirst()
                .orElseThrow();
        assertThat(volume.getPersistentVolumeClaim())
                .as("checkpoint volume is a PVC")
                .isNotNull();
        PersistentVolumeClaim claim = BASE.one(
                PersistentVolumeClaim.class, volume.getPersistentVolumeClaim().getClaimName());
        assertThat(claim.getSpec().getAccessModes()).contains("ReadWriteOnce");

        assertThat(BASE.all(Service.class)).anySatisfy(s -> assertThat(K8s.selects(
                        s.getSpec().getSelector(),
                        K8s.template(optimizer).getMetadata().getLabels()))
                .isTrue());
    }

    @Test
    void everyEnvReferenceNamesAnExistingConfigMapOrSecretKey() {
        for (Deployment d : BASE.all(Deployment.class)) {
            for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
                for (var e : c.getEnv()) {
                    if (e.getValueFrom() != null) {
                        assertThat(e.getValueFrom().getConfigMapKeyRef() != null
                                        || e.getValueFrom().getSecretKeyRef() != null)
                                .as(e.getName())
                                .isTrue();
                        if (!K8s.optional(e)) { // an optional key may be absent (gspo.rollout.api-key)
                            assertThat(K8s.value(BASE, e))
                                    .as(
                                            "Deployment %s env %s → %s",
                                            d.getMetadata().getName(), e.getName(), e.getValueFrom())
                                    .isPresent();
                        }
                    }
                }
                assertThat(c.getEnvFrom())
                        .as("envFrom hides which keys are used: use env valueFrom")
                        .isNullOrEmpty();
            }
        }
        Set<String> usedConfigKeys = new HashSet<>();
        Set<String> usedSecretKeys = new HashSet<>();
        BASE.all(Deployment.class).forEach(d -> K8s.container(d).getEnv().stream()
                .filter(e -> e.getValueFrom() != null)
                .forEach(e -> {
                    if (e.getValueFrom().getConfigMapKeyRef() != null) {
                        usedConfigKeys.add(e.getValueFrom().getConfigMapKeyRef().getKey());
                    } else {
                        usedSecretKeys.add(e.getValueFrom().getSecretKeyRef().getKey());
                    }
                }));
        assertThat(BASE.one(ConfigMap.class, "gspo-config").getData().keySet())
                .as("unused ConfigMap keys")
                .isSubsetOf(usedConfigKeys);
        assertThat(BASE.one(Secret.class, "gspo-tokens").getStringData().keySet())
                .as("unused Secret keys")
                .isSubsetOf(usedSecretKeys);
    }

    @Test
    void theSecretHoldsOnlyPlaceholders() {
        assertThat(BASE.one(Secret.class, "gspo-tokens").getStringData().values())
                .allSatisfy(v -> assertThat(v).startsWith("CHANGE-ME"));
        assertThat(Repo.read("k8s/secret.yaml")).contains("PLACEHOLDER");
    }

    @Test
    void volumesAndMountsAgreeAndClaimsExist() {
        for (Deployment d : BASE.all(Deployment.class)) {
            var pod = d.getSpec().getTemplate().getSpec();
            Set<String> volumes = pod.getVolumes().stream().map(Volume::getName).collect(Collectors.toSet());
            Set<String> mounted = pod.getContainers().stream()
                    .flatMap(c -> c.getVolumeMounts().stream())
                    .map(VolumeMount::getName)
                    .collect(Collectors.toSet());
            assertThat(mounted).as(d.getMetadata().getName() + " mounts").isEqualTo(volumes);
            pod.getVolumes().stream()
                    .filter(v -> v.getPersistentVolumeClaim() != null)
                    .forEach(v -> BASE.one(
                            PersistentVolumeClaim.class,
                            v.getPersistentVolumeClaim().getClaimName()));
            // DJL unpacks libtorch into DJL_CACHE_DIR (set in the image): it must be a volume, not the image layer.
            assertThat(pod.getContainers().getFirst().getVolumeMounts())
                    .extracting(VolumeMount::getMountPath)
                    .contains(djlCacheDir(d));
        }
    }

    @Test
    void probesUseTheActuatorHealthGroupsOnTheNamedPort() {
        for (Deployment d : BASE.all(Deployment.class)) {
            Container c = K8s.container(d);
            String name = d.getMetadata().getName();
            assertProbe(d, c.getReadinessProbe(), "/actuator/health/readiness", name + " readiness");
            assertProbe(d, c.getLivenessProbe(), "/actuator/health/liveness", name + " liveness");
            assertProbe(d, c.getStartupProbe(), "/actuator/health/liveness", name + " startup");
            assertThat(c.getStartupProbe().getPeriodSeconds()
                            * c.getStartupProbe().getFailureThreshold())
                    .as(name + ": seconds allowed to start (the built-in model is made at start)")
                    .isGreaterThanOrEqualTo(120);
        }
    }

    @Test
    void containersDeclareResourcesAndRunAsTheImagesNonRootUser() {
        for (Deployment d : BASE.all(Deployment.class)) {
            Container c = K8s.container(d);
            assertThat(c.getResources().getRequests())
                    .as(d.getMetadata().getName())
                    .containsKeys("cpu", "memory");
            assertThat(c.getResources().getLimits())
                    .as(d.getMetadata().getName())
                    .containsKey("memory");
            var pod = d.getSpec().getTemplate().getSpec().getSecurityContext();
            assertThat(pod.getRunAsNonRoot()).isTrue();
            String user = Dockerfile.parse(Repo.path(service(d) + "/Dockerfile"))
                    .finalStage()
                    .all("USER")
                    .getLast()
                    .arguments()
                    .split(":")[0];
            assertThat(String.valueOf(pod.getRunAsUser()))
                    .as("runAsUser = the image's USER")
                    .isEqualTo(user);
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        }
    }

    @Test
    void podsCarryPrometheusScrapeAnnotationsForTheirMetricsPort() {
        for (Deployment d : BASE.all(Deployment.class)) {
            Map<String, String> a = K8s.template(d).getMetadata().getAnnotations();
            assertThat(a)
                    .containsEntry("prometheus.io/scrape", "true")
                    .containsEntry("prometheus.io/path", "/actuator/prometheus");
            assertThat(containerPort(d, new IntOrString(Integer.parseInt(a.get("prometheus.io/port")))))
                    .as(d.getMetadata().getName() + " prometheus.io/port")
                    .isNotNull();
            assertThat(a.get("prometheus.io/port"))
                    .as("= SERVER_PORT")
                    .isEqualTo(K8s.resolvedEnv(BASE, K8s.container(d)).get("SERVER_PORT"));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theServiceMonitorSelectsEachMetricsServiceOnceByANamedPort() {
        GenericKubernetesResource monitor = K8s.generic("ServiceMonitor", "gspo");
        Map<String, Object> spec = K8s.spec(monitor);
        Map<String, String> matchLabels =
                (Map<String, String>) ((Map<String, Object>) spec.get("selector")).get("matchLabels");
        assertThat(((Map<String, Object>) spec.get("namespaceSelector")).get("matchNames"))
                .isEqualTo(List.of(NAMESPACE));
        List<Service> selected = BASE.all(Service.class).stream()
                .filter(s -> K8s.selects(matchLabels, s.getMetadata().getLabels()))
                .toList();
        assertThat(selected)
                .extracting(s -> s.getMetadata().getName())
                .as("Services the ServiceMonitor selects")
                .containsExactlyInAnyOrder("rollout", "optimizer");
        // No pod behind two selected Services (it would be scraped twice).
        for (Deployment d : BASE.all(Deployment.class)) {
            assertThat(selected.stream()
                            .filter(s -> K8s.selects(
                                    s.getSpec().getSelector(),
                                    K8s.template(d).getMetadata().getLabels())))
                    .as(d.getMetadata().getName())
                    .hasSize(1);
        }
        for (Object e : (List<Object>) spec.get("endpoints")) {
            Map<String, Object> endpoint = (Map<String, Object>) e;
            assertThat(endpoint.get("path")).isEqualTo("/actuator/prometheus");
            for (Service s : selected) {
                assertThat(s.getSpec().getPorts())
                        .extracting(ServicePort::getName)
                        .as(
                                "Service %s has the ServiceMonitor's port",
                                s.getMetadata().getName())
                        .contains((String) endpoint.get("port"));
            }
        }
    }

    @Test
    void thePrometheusRuleCarriesExactlyTheGroupsOfAlertsYml() {
        Object groups = K8s.spec(K8s.generic("PrometheusRule", "gspo-alerts")).get("groups");
        Object expected =
                Yamls.loadMap(Repo.path("deploy/prometheus/alerts.yml")).get("groups");
        assertThat(Yamls.tree(groups))
                .as("k8s/monitoring/prometheusrule.yaml spec.groups must equal "
                        + "deploy/prometheus/alerts.yml groups: copy them over")
                .isEqualTo(Yamls.tree(expected));
    }

    @Test
    void theDashboardAndRulesConfigMapsAreGeneratedFromTheComposeFiles() {
        ConfigMap dashboards = BASE.one(ConfigMap.class, "gspo-grafana-dashboards");
        assertThat(dashboards.getData())
                .containsExactly(
                        Map.entry("gspo-training.json", Repo.read("deploy/grafana/dashboards/gspo-training.json")));
        assertThat(dashboards.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        ConfigMap rules = BASE.one(ConfigMap.class, "gspo-prometheus-rules");
        assertThat(rules.getData()).containsExactly(Map.entry("alerts.yml", Repo.read("deploy/prometheus/alerts.yml")));
        assertThat(BASE.kustomizations())
                .extracting(Repo::relative)
                .containsExactly("k8s/kustomization.yaml", "deploy/kustomization.yaml");
    }

    @Test
    void imageOverridesNameTheImagesTheDeploymentsAndComposeUse() {
        Set<String> containerImages = BASE.all(Deployment.class).stream()
                .map(K8s::container)
                .map(Container::getImage)
                .map(i -> i.substring(0, i.lastIndexOf(':')))
                .collect(Collectors.toSet());
        assertThat(BASE.images())
                .extracting(Kustomize.ImageOverride::name)
                .containsExactlyInAnyOrderElementsOf(containerImages);
        Map<String, Object> services =
                Yamls.map(Yamls.loadMap(Repo.path("docker-compose.yml")).get("services"));
        Set<String> composeImages = services.values().stream()
                .map(Yamls::map)
                .filter(s -> s.containsKey("build"))
                .map(s -> String.valueOf(s.get("image")))
                .map(i -> i.substring(0, i.lastIndexOf(':')))
                .collect(Collectors.toSet());
        assertThat(composeImages).isEqualTo(containerImages);
        for (Deployment d : BASE.all(Deployment.class)) {
            assertThat(K8s.container(d).getImage()).startsWith("gspo/" + service(d) + ":");
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    static String service(Deployment d) {
        return d.getSpec().getTemplate().getMetadata().getLabels().get("app.kubernetes.io/name");
    }

    private static String djlCacheDir(Deployment d) {
        Dockerfile f = Dockerfile.parse(Repo.path(service(d) + "/Dockerfile"));
        return Objects.requireNonNull(f.finalStage().env().get("DJL_CACHE_DIR"), "DJL_CACHE_DIR in the image");
    }

    private static Map<String, Quantity> requests(Deployment d) {
        return K8s.container(d).getResources().getRequests();
    }

    private static ContainerPort containerPort(Deployment d, IntOrString target) {
        for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
            for (ContainerPort p : c.getPorts()) {
                if (target.getStrVal() != null
                        ? target.getStrVal().equals(p.getName())
                        : target.getIntVal().equals(p.getContainerPort())) {
                    return p;
                }
            }
        }
        return null;
    }

    private static void assertProbe(Deployment d, Probe probe, String path, String what) {
        assertThat(probe).as(what).isNotNull();
        assertThat(probe.getHttpGet().getPath()).as(what).isEqualTo(path);
        assertThat(containerPort(d, probe.getHttpGet().getPort()))
                .as(what + " port")
                .isNotNull();
    }
}
