package dev.gspo.rollout.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

/** The documented defaults, and start-up failing fast on nonsense. */
class RolloutPropertiesTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
            .withUserConfiguration(Props.class);

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(RolloutProperties.class)
    static class Props {}

    @Test
    void hasTheDocumentedDefaults() {
        runner.run(ctx -> {
            RolloutProperties p = ctx.getBean(RolloutProperties.class);
            assertThat(p.usesBuiltinModel()).isTrue();
            assertThat(p.pushesEnabled()).isFalse();
            assertThat(p.seed()).isZero();
            assertThat(p.maxPromptsPerRequest()).isEqualTo(64);
            assertThat(p.maxGroupSize()).isEqualTo(64);
            assertThat(p.maxNewTokens()).isEqualTo(512);
            assertThat(p.maxStopStrings()).isEqualTo(16);
            assertThat(p.maxBatchSequences()).isEqualTo(512);
            assertThat(p.maxQueuedSequences()).isEqualTo(4096);
            assertThat(p.maxQueueWait()).isEqualTo(Duration.ofSeconds(30));
            assertThat(p.requestTimeout()).isEqualTo(Duration.ofSeconds(120));
            assertThat(p.maxRequestBytes()).isEqualTo(DataSize.ofMegabytes(1));
            assertThat(p.maxWeightsBytes()).isEqualTo(DataSize.ofGigabytes(1));
            assertThat(p.apiKeyRequired()).isFalse();
        });
    }

    @Test
    void refusesAnApiKeyThatIsThePushTokenAndNeverPrintsEither() {
        runner.withPropertyValues("gspo.rollout.push-token=tok-123", "gspo.rollout.api-key=tok-123")
                .run(ctx -> assertThat(ctx)
                        .hasFailed()
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("gspo.rollout.api-key must differ from gspo.rollout.push-token")
                        .hasMessageNotContaining("tok-123"));
        runner.withPropertyValues("gspo.rollout.push-token=tok-123", "gspo.rollout.api-key=key-456")
                .run(ctx -> {
                    RolloutProperties p = ctx.getBean(RolloutProperties.class);
                    assertThat(p.apiKeyRequired()).isTrue();
                    assertThat(p.toString())
                            .doesNotContain("tok-123", "key-456")
                            .contains("apiKey=(set)");
                });
    }

    @Test
    void bindsKebabCaseKeys() {
        runner.withPropertyValues(
                        "gspo.rollout.model-dir=/models/q",
                        "gspo.rollout.max-group-size=8",
                        "gspo.rollout.max-queue-wait=5s",
                        "gspo.rollout.max-weights-bytes=200MB")
                .run(ctx -> {
                    RolloutProperties p = ctx.getBean(RolloutProperties.class);
                    assertThat(p.modelDir()).isEqualTo("/models/q");
                    assertThat(p.maxGroupSize()).isEqualTo(8);
                    assertThat(p.maxQueueWait()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(p.maxWeightsBytes()).isEqualTo(DataSize.ofMegabytes(200));
                });
    }

    @Test
    void refusesToStartWithInvalidLimits() {
        for (String bad : new String[] {
            "gspo.rollout.max-group-size=0",
            "gspo.rollout.max-batch-sequences=-1",
            "gspo.rollout.max-queued-sequences=10",
            "gspo.rollout.max-queue-wait=0s",
            "gspo.rollout.request-timeout=1s",
            "gspo.rollout.max-weights-bytes=3GB"
        }) {
            runner.withPropertyValues(bad).run(ctx -> assertThat(ctx).as(bad).hasFailed());
        }
    }
}
