package dev.gspo.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertyState;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * The Spring properties a service knows, and which of them an environment variable sets.
 *
 * <p>Known properties = Spring Boot's configuration metadata on this module's test classpath (the same Boot modules the
 * services run with: web server, actuator, Micrometer) + the service's own metadata,
 * {@code <service>/target/classes/META-INF/spring-configuration-metadata.json} written by
 * spring-boot-configuration-processor (plus {@code additional-spring-configuration-metadata.json}). While a service has
 * no metadata yet, the list in {@code design-properties.txt} (docs/ARCHITECTURE.md §10) stands in for its {@code gspo.*} properties.
 *
 * <p>Matching an environment variable to a property uses Spring Boot's own relaxed binding for the system environment
 * ({@code GSPO_OPTIMIZER_BOOT_RUN_ENABLED} → {@code gspo.optimizer.boot-run.enabled}), so it agrees with what the
 * service will bind at start.
 */
final class SpringProperties {
    /** A property from metadata; {@code map} for Map-typed ones (env vars may name a key below them). */
    record Property(String name, boolean map, String origin) {}

    /** The properties one service knows, and where its own came from. */
    record Known(String service, Map<String, Property> properties, boolean fromServiceMetadata, String ownSource) {
        Optional<Property> propertyFor(String environmentVariable) {
            SystemEnvironmentPropertySource env = new SystemEnvironmentPropertySource(
                    StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(environmentVariable, "value"));
            ConfigurationPropertySource source = ConfigurationPropertySource.from(env);
            for (Property p : properties.values()) {
                if (!ConfigurationPropertyName.isValid(p.name())) {
                    continue;
                }
                ConfigurationPropertyName name = ConfigurationPropertyName.of(p.name());
                ConfigurationProperty exact = source.getConfigurationProperty(name);
                if (exact != null
                        || (p.map() && source.containsDescendantOf(name) == ConfigurationPropertyState.PRESENT)) {
                    return Optional.of(p);
                }
            }
            return Optional.empty();
        }
    }

    private static final String METADATA = "META-INF/spring-configuration-metadata.json";
    private static final String ADDITIONAL = "META-INF/additional-spring-configuration-metadata.json";

    private SpringProperties() {}

    static Known forService(String service) {
        Map<String, Property> all = new LinkedHashMap<>(boot());
        Path generated = Repo.path(service + "/target/classes/" + METADATA);
        Path additional = Repo.path(service + "/src/main/resources/" + ADDITIONAL);
        if (Files.isRegularFile(generated)) {
            read(generated.toString(), Repo.read(generated), all);
            if (Files.isRegularFile(additional)) {
                read(additional.toString(), Repo.read(additional), all);
            }
            return new Known(service, all, true, Repo.relative(generated));
        }
        for (String key : designKeys(service)) {
            all.put(key, new Property(key, false, "design-properties.txt"));
        }
        return new Known(service, all, false, "design-properties.txt (no " + Repo.relative(generated) + " yet)");
    }

    /** The deployment-contract keys of one service ({@code design-properties.txt}). */
    static Set<String> designKeys(String service) {
        Set<String> keys = new LinkedHashSet<>();
        try (InputStream in = SpringProperties.class.getResourceAsStream("/design-properties.txt")) {
            for (String line : new String(in.readAllBytes()).split("\n")) {
                String[] f = line.strip().split("\\s+");
                if (f.length == 2 && !f[0].startsWith("#") && f[0].equals(service)) {
                    keys.add(f[1]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }

    private static Map<String, Property> boot() {
        Map<String, Property> all = new LinkedHashMap<>();
        ClassLoader loader = SpringProperties.class.getClassLoader();
        try {
            List<URL> urls = new ArrayList<>(Collections.list(loader.getResources(METADATA)));
            urls.addAll(Collections.list(loader.getResources(ADDITIONAL)));
            for (URL url : urls) {
                try (InputStream in = url.openStream()) {
                    read(url.toString(), new String(in.readAllBytes()), all);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (all.size() < 500 || !all.containsKey("server.port")) {
            throw new IllegalStateException("Spring Boot's configuration metadata not found on the test classpath");
        }
        return all;
    }

    private static void read(String origin, String json, Map<String, Property> into) {
        try {
            JsonNode root = Yamls.JSON.readTree(json);
            for (JsonNode p : root.path("properties")) {
                String name = p.path("name").asText();
                boolean map = p.path("type").asText("").startsWith("java.util.Map");
                into.putIfAbsent(name, new Property(name, map, origin));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read metadata " + origin, e);
        }
    }
}
