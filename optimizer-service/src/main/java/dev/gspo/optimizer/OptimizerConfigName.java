package dev.gspo.optimizer;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The optimizer app reads {@code optimizer-service.properties} (and {@code optimizer-service-<profile>.properties},
 * also from {@code ./config/}), never an {@code application.properties}: {@code spring.config.name} =
 * {@value OptimizerApplication#CONFIG_NAME}, set before the config files are read, for this app only, and as the
 * lowest precedence so an explicit {@code --spring.config.name} still wins. So its tests can start rollout apps in
 * the same JVM and each app reads its own file.
 */
final class OptimizerConfigName implements EnvironmentPostProcessor, Ordered {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (application.getAllSources().contains(OptimizerApplication.class)) {
            environment
                    .getPropertySources()
                    .addLast(new MapPropertySource(
                            "optimizerConfigName", Map.of("spring.config.name", OptimizerApplication.CONFIG_NAME)));
        }
    }

    @Override
    public int getOrder() {
        return ConfigDataEnvironmentPostProcessor.ORDER - 1;
    }
}
