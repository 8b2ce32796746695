package dev.gspo.rollout;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The rollout app reads {@code rollout-service.properties} (and {@code rollout-service-<profile>.properties}, also
 * from {@code ./config/}), never an {@code application.properties}: {@code spring.config.name} =
 * {@value RolloutApplication#CONFIG_NAME}, set before the config files are read, for this app only, and as the lowest
 * precedence so an explicit {@code --spring.config.name} still wins. So the optimizer's tests, the bench and the
 * experiments can start a rollout app in-process beside the optimizer's classes and each reads its own file.
 */
final class RolloutConfigName implements EnvironmentPostProcessor, Ordered {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (application.getAllSources().contains(RolloutApplication.class)) {
            environment
                    .getPropertySources()
                    .addLast(new MapPropertySource(
                            "rolloutConfigName", Map.of("spring.config.name", RolloutApplication.CONFIG_NAME)));
        }
    }

    @Override
    public int getOrder() {
        return ConfigDataEnvironmentPostProcessor.ORDER - 1;
    }
}
