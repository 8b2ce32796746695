package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.optimizer.support.RolloutReplica;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;

/**
 * Both apps on one classpath (this module's tests hold the rollout-service jar too), each started the way the tests,
 * the bench and the experiments start them: each reads its own properties file ({@code optimizer-service.properties},
 * {@code rollout-service.properties}) and nothing of the other's.
 */
@SpringBootTest(properties = {"gspo.optimizer.rollout-urls=http://127.0.0.1:9", "logging.level.dev.gspo=WARN"})
class OwnPropertiesIT {
    @Autowired
    Environment optimizer;

    @Test
    void theOptimizerReadsOnlyItsOwnPropertiesFile() {
        assertThat(optimizer.getProperty("spring.application.name")).isEqualTo("optimizer-service");
        assertThat(optimizer.getProperty("spring.threads.virtual.enabled")).isEqualTo("true");
        assertThat(optimizer.getProperty("spring.jackson.deserialization.accept-float-as-int"))
                .as("a rollout-service.properties setting")
                .isNull();
    }

    @Test
    void aRolloutReplicaStartedBesideTheOptimizerReadsOnlyItsOwnPropertiesFile() {
        try (RolloutReplica replica = RolloutReplica.start()) {
            Environment rollout = replica.environment();

            assertThat(rollout.getProperty("spring.application.name")).isEqualTo("rollout-service");
            assertThat(rollout.getProperty("management.metrics.tags.application"))
                    .isEqualTo("rollout-service");
            assertThat(rollout.getProperty("spring.jackson.deserialization.accept-float-as-int"))
                    .isEqualTo("false");
            assertThat(rollout.getProperty("spring.threads.virtual.enabled"))
                    .as("an optimizer-service.properties setting")
                    .isNull();
        }
    }
}
