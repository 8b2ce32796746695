package dev.gspo.optimizer.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.optimizer.support.Steps;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code gspo.train.reward{fn=…,run=…}}: one gauge per reward function (and component) of the latest step. */
class RewardGaugesTest {

    @Test
    void eachFunctionOfTheLatestStepIsAGaugeWithADescriptionAndFunctionsThatLeaveAreRemoved() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainingMetrics metrics = new TrainingMetrics(Duration.ZERO);
        metrics.bindTo(registry);
        RunMeters run = metrics.forRun("run-r");
        Map<String, Double> first = new LinkedHashMap<>();
        first.put("math", 0.5);
        first.put("format", 1.0);
        first.put("grader.correct", 0.25);

        run.onStep(Steps.withRewards(1, 0.7, first));

        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("gspo_train_reward{fn=\"math\",run=\"run-r\"} 0.5")
                .contains("gspo_train_reward{fn=\"format\",run=\"run-r\"} 1.0")
                .contains("gspo_train_reward{fn=\"grader.correct\",run=\"run-r\"} 0.25")
                .contains("gspo_train_reward_mean{run=\"run-r\"} 0.7");
        assertThat(registry.find("gspo.train.reward").gauges())
                .allSatisfy(g -> assertThat(g.getId().getDescription()).contains("reward function"));

        run.onStep(Steps.withRewards(2, 0.9, Map.of("math", 0.9)));

        assertThat(registry.find("gspo.train.reward").gauges())
                .extracting(g -> g.getId().getTag("fn"))
                .containsExactly("math");
        Gauge math = registry.find("gspo.train.reward").tag("fn", "math").gauge();
        assertThat(math.value()).isEqualTo(0.9);
        assertThat(registry.scrape()).doesNotContain("fn=\"format\"");

        run.onRunEnded();

        assertThat(registry.find("gspo.train.reward").gauges()).isEmpty();
    }
}
