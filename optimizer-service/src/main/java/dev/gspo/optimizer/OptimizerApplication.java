package dev.gspo.optimizer;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The optimizer service: run control API, the training loop, the rollout-fleet client and the weight publisher. */
@SpringBootApplication
public class OptimizerApplication {
    /** Its properties file is {@code optimizer-service.properties} ({@code spring.config.name}, see OptimizerConfigName). */
    public static final String CONFIG_NAME = "optimizer-service";

    public static void main(String[] args) {
        SpringApplication.run(OptimizerApplication.class, args);
    }
}
