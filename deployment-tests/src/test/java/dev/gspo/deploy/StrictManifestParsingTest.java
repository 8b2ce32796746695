package dev.gspo.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proof that the strict parsing of {@link KubernetesManifestsTest} does catch mistakes (fabric8 alone would keep a
 * misspelt field in {@code additionalProperties} and report nothing), and that the kustomize emulation refuses what
 * kustomize refuses.
 */
class StrictManifestParsingTest {
    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: example
              labels:
                app: example
            spec:
              replicas: 2
              selector:
                matchLabels:
                  app: example
              template:
                metadata:
                  labels:
                    app: example
                  annotations:
                    prometheus.io/scrape: "true"
                spec:
                  containers:
                    - name: app
                      image: example:1
                      env:
                        - name: SERVER_PORT
                          value: "8081"
                      readinessProbe:
                        httpGet:
                          path: /actuator/health/readiness
                          port: 8081
                      resources:
                        limits:
                          memory: 1Gi
            """;

    private static HasMetadata parse(String yaml) {
        return StrictKubernetes.parse(Yamls.map(Yamls.loadAll(yaml).getFirst()), "inline");
    }

    @Test
    void theCorrectManifestParsesIntoATypedDeployment() {
        HasMetadata parsed = parse(DEPLOYMENT);
        assertThat(parsed).isInstanceOf(Deployment.class);
        assertThat(((Deployment) parsed)
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .getFirst()
                        .getReadinessProbe()
                        .getHttpGet()
                        .getPath())
                .isEqualTo("/actuator/health/readiness");
        assertThat(((Deployment) parsed).getAdditionalProperties()).isEmpty();
    }

    @Test
    void rejectsAMisspeltContainerField() {
        assertThatThrownBy(() -> parse(DEPLOYMENT.replace("readinessProbe:", "readinesProbe:")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("readinesProbe");
    }

    @Test
    void rejectsAMisspeltFieldAtEveryLevel() {
        assertThatThrownBy(() -> parse(DEPLOYMENT.replace("\nspec:", "\nsepc:")))
                .hasMessageContaining("sepc");
        assertThatThrownBy(
                        () -> parse(DEPLOYMENT.replace("  labels:\n    app: example", "  lables:\n    app: example")))
                .hasMessageContaining("lables");
        assertThatThrownBy(() -> parse(DEPLOYMENT.replace("matchLabels:", "matchLabel:")))
                .hasMessageContaining("matchLabel");
        assertThatThrownBy(() -> parse(DEPLOYMENT.replace("path: /actuator", "pth: /actuator")))
                .hasMessageContaining("pth");
    }

    @Test
    void rejectsNumbersAndBooleansWhereTheApiWantsStrings() {
        assertThatThrownBy(() -> parse(DEPLOYMENT.replace("value: \"8081\"", "value: 8081")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(
                        () -> parse(DEPLOYMENT.replace("prometheus.io/scrape: \"true\"", "prometheus.io/scrape: true")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsAnUnknownApiVersionOrKindInsteadOfFallingBackToAGenericResource() {
        assertThatThrownBy(() -> parse(DEPLOYMENT.replace("apiVersion: apps/v1", "apiVersion: apps/v2")))
                .hasMessageContaining("unknown apiVersion/kind apps/v2/Deployment");
        assertThatThrownBy(() -> parse(DEPLOYMENT.replace("kind: Deployment", "kind: Deploymnet")))
                .hasMessageContaining("Deploymnet");
    }

    @Test
    void rejectsAKeyGivenTwice() {
        assertThatThrownBy(() -> parse(DEPLOYMENT.replace("  replicas: 2\n", "  replicas: 2\n  replicas: 3\n")))
                .hasMessageContaining("replicas");
    }

    @Test
    void kustomizeRejectsAMissingResourceAnUnknownFieldAndAFileOutsideItsDirectory(@TempDir Path dir)
            throws IOException {
        Path base = Files.createDirectories(dir.resolve("base"));
        Files.writeString(dir.resolve("outside.json"), "{}");
        Files.writeString(base.resolve("kustomization.yaml"), kustomization("resources: [missing.yaml]"));
        assertThatThrownBy(() -> Kustomize.build(base))
                .hasMessageContaining("missing.yaml")
                .hasMessageContaining("does not exist");

        Files.writeString(base.resolve("kustomization.yaml"), kustomization("commonLabelz: {a: b}"));
        assertThatThrownBy(() -> Kustomize.build(base)).hasMessageContaining("commonLabelz");

        Files.writeString(base.resolve("kustomization.yaml"), kustomization("""
                generatorOptions: {disableNameSuffixHash: true}
                configMapGenerator:
                  - name: x
                    files: [../outside.json]"""));
        assertThatThrownBy(() -> Kustomize.build(base)).hasMessageContaining("outside the kustomization");

        Files.writeString(base.resolve("deployment.yaml"), DEPLOYMENT.replace("readinessProbe:", "readinesProbe:"));
        Files.writeString(base.resolve("kustomization.yaml"), kustomization("resources: [deployment.yaml]"));
        assertThatThrownBy(() -> Kustomize.build(base))
                .hasMessageContaining("deployment.yaml")
                .hasMessageContaining("readinesProbe");
    }

    @Test
    void kustomizeSetsTheNamespaceAndGeneratesConfigMapsFromFiles(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("deployment.yaml"), DEPLOYMENT);
        Files.writeString(dir.resolve("data.json"), "{\"a\":1}");
        Files.writeString(dir.resolve("kustomization.yaml"), kustomization("""
                namespace: ns
                resources: [deployment.yaml]
                generatorOptions: {disableNameSuffixHash: true}
                configMapGenerator:
                  - name: generated
                    files: [data.json]
                    options: {labels: {l: v}}"""));
        Kustomize.Build build = Kustomize.build(dir);
        assertThat(build.one(Deployment.class, "example").getMetadata().getNamespace())
                .isEqualTo("ns");
        var cm = build.one(io.fabric8.kubernetes.api.model.ConfigMap.class, "generated");
        assertThat(cm.getData()).isEqualTo(Map.of("data.json", "{\"a\":1}"));
        assertThat(cm.getMetadata().getLabels()).isEqualTo(Map.of("l", "v"));
        assertThat(cm.getMetadata().getNamespace()).isEqualTo("ns");
    }

    private static String kustomization(String body) {
        return "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + body + "\n";
    }
}
