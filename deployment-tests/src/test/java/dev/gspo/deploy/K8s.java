package dev.gspo.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Lookups across the objects of one kustomize build. */
final class K8s {
    private K8s() {}

    static final Kustomize.Build BASE = Kustomize.build(Repo.path("k8s"));

    static PodTemplateSpec template(Deployment d) {
        return d.getSpec().getTemplate();
    }

    static Container container(Deployment d) {
        return template(d).getSpec().getContainers().getFirst();
    }

    /** True when every entry of {@code selector} is in {@code labels} (a Service/label selector matching a pod). */
    static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return selector != null
                && !selector.isEmpty()
                && labels != null
                && labels.entrySet().containsAll(selector.entrySet());
    }

    /**
     * A container's environment with ConfigMap/Secret references resolved; a missing reference is an error unless it
     * is {@code optional} (Kubernetes then leaves the variable unset, and so does this).
     */
    static Map<String, String> resolvedEnv(Kustomize.Build build, Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : c.getEnv()) {
            Optional<String> v = value(build, e);
            if (v.isEmpty() && optional(e)) {
                continue;
            }
            env.put(
                    e.getName(),
                    v.orElseThrow(() -> new AssertionError(
                            "env " + e.getName() + " of container " + c.getName() + ": reference does not resolve")));
        }
        return env;
    }

    /** A ConfigMap or Secret key reference marked {@code optional: true}: the key may be absent. */
    static boolean optional(EnvVar e) {
        if (e.getValueFrom() == null) {
            return false;
        }
        var cm = e.getValueFrom().getConfigMapKeyRef();
        var sk = e.getValueFrom().getSecretKeyRef();
        return Boolean.TRUE.equals(cm != null ? cm.getOptional() : sk != null ? sk.getOptional() : null);
    }

    static Optional<String> value(Kustomize.Build build, EnvVar e) {
        if (e.getValueFrom() == null) {
            return Optional.ofNullable(e.getValue());
        }
        var cm = e.getValueFrom().getConfigMapKeyRef();
        if (cm != null) {
            return build.all(ConfigMap.class).stream()
                    .filter(m -> m.getMetadata().getName().equals(cm.getName()))
                    .findFirst()
                    .map(m -> m.getData() == null ? null : m.getData().get(cm.getKey()));
        }
        var sk = e.getValueFrom().getSecretKeyRef();
        if (sk != null) {
            return build.all(Secret.class).stream()
                    .filter(s -> s.getMetadata().getName().equals(sk.getName()))
                    .findFirst()
                    .map(s -> secretValue(s, sk.getKey()));
        }
        return Optional.of("<" + e.getValueFrom() + ">");
    }

    static String secretValue(Secret s, String key) {
        if (s.getStringData() != null && s.getStringData().containsKey(key)) {
            return s.getStringData().get(key);
        }
        if (s.getData() != null && s.getData().containsKey(key)) {
            return new String(Base64.getDecoder().decode(s.getData().get(key)));
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> spec(GenericKubernetesResource r) {
        return (Map<String, Object>) r.getAdditionalProperties().get("spec");
    }

    static GenericKubernetesResource generic(String kind, String name) {
        return BASE.all(GenericKubernetesResource.class).stream()
                .filter(r ->
                        r.getKind().equals(kind) && r.getMetadata().getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in k8s/"));
    }
}
