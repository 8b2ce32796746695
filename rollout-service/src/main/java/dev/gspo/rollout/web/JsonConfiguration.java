package dev.gspo.rollout.web;

import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.core.StreamReadFeature;

/**
 * Strict JSON reading beyond what {@code spring.jackson.*} properties can set: a key written twice in one object is
 * refused (400 naming the key, {@link JsonErrors}) instead of silently keeping its last value. The rest of the strict
 * reading (unknown fields, coercions, trailing tokens) is in {@code application.properties}.
 */
@Configuration(proxyBeanMethods = false)
class JsonConfiguration {
    @Bean
    JsonMapperBuilderCustomizer strictDuplicateDetection() {
        return builder -> builder.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
    }
}
