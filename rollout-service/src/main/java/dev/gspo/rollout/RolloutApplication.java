package dev.gspo.rollout;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The rollout service: serves one policy over HTTP, samples grouped completions with log-probs, hot-swaps weights. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class RolloutApplication {
    /** Its properties file is {@code rollout-service.properties} ({@code spring.config.name}, see RolloutConfigName). */
    public static final String CONFIG_NAME = "rollout-service";

    public static void main(String[] args) {
        SpringApplication.run(RolloutApplication.class, args);
    }
}
