package dev.gspo.deploy;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import java.util.Set;

/**
 * Kubernetes manifests into typed fabric8 objects, failing on what the API server would reject or silently drop.
 *
 * <p>fabric8's model classes catch unknown fields in an {@code @JsonAnySetter additionalProperties} map, so
 * {@code FAIL_ON_UNKNOWN_PROPERTIES} alone changes nothing: a misspelt {@code readinesProbe} would simply vanish. This
 * mapper removes the any-setter from every typed model class (not from {@link GenericKubernetesResource}, which is all
 * additional properties) and enables the feature, so the typo fails with its JSON path. It also refuses numbers and
 * booleans where the API wants a string ({@code value: 8081} in an env var, {@code prometheus.io/scrape: true} in an
 * annotation), which {@code kubectl apply} rejects but Jackson would coerce.
 *
 * <p>Only the kinds of {@link #UNTYPED} (Prometheus Operator CRDs, which fabric8 has no typed model for) may come back
 * as {@link GenericKubernetesResource}; any other unknown apiVersion/kind is an error.
 */
final class StrictKubernetes {
    /** apiVersion/kind pairs allowed to stay generic. */
    static final Set<String> UNTYPED =
            Set.of("monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PrometheusRule");

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization(new ObjectMapper(), true) {
        @Override
        protected void configureMapper(ObjectMapper mapper) {
            super.configureMapper(mapper);
            mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
            mapper.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
            mapper.enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
            mapper.coercionConfigFor(LogicalType.Textual)
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
            mapper.registerModule(
                    new SimpleModule("gspo-strict-kubernetes").setDeserializerModifier(new BeanDeserializerModifier() {
                        @Override
                        public BeanDeserializerBuilder updateBuilder(
                                DeserializationConfig config,
                                BeanDescription description,
                                BeanDeserializerBuilder builder) {
                            Class<?> type = description.getBeanClass();
                            if (type.getName().startsWith("io.fabric8.")
                                    && !GenericKubernetesResource.class.isAssignableFrom(type)) {
                                builder.setAnySetter(null);
                            }
                            return builder;
                        }
                    }));
        }
    };

    private StrictKubernetes() {}

    /**
     * One manifest document (as loaded by {@link Yamls}) into its typed class.
     *
     * @throws IllegalArgumentException naming {@code source} and the offending field
     */
    static HasMetadata parse(Map<String, Object> document, String source) {
        String json;
        try {
            json = Yamls.JSON.writeValueAsString(document);
        } catch (Exception e) {
            throw new IllegalArgumentException(source + ": not serialisable: " + e.getMessage(), e);
        }
        KubernetesResource resource;
        try {
            resource = SERIALIZATION.unmarshal(json, KubernetesResource.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(source + ": " + rootMessage(e), e);
        }
        if (!(resource instanceof HasMetadata object)) {
            throw new IllegalArgumentException(source + ": not a Kubernetes object: " + document.get("kind"));
        }
        if (object instanceof GenericKubernetesResource && !UNTYPED.contains(key(object))) {
            throw new IllegalArgumentException(source + ": unknown apiVersion/kind " + key(object)
                    + " (no typed model: misspelt or wrong API version?)");
        }
        return object;
    }

    static String key(HasMetadata o) {
        return o.getApiVersion() + "/" + o.getKind();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
