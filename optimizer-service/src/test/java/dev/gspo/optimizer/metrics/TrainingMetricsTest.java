package dev.gspo.optimizer.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.optimizer.loop.PublishResult;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class TrainingMetricsTest {

    private static PrometheusMeterRegistry bound() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainingMetrics metrics = new TrainingMetrics();
        metrics.bindTo(registry);
        metrics.onFleetRequest(URI.create("http://127.0.0.1:1"), "ok", 0.1);
        metrics.onPublish(new PublishResult(
                3,
                100,
                Duration.ofMillis(5),
                List.of(new PublishResult.Replica(URI.create("http://r"), true, 1, null))));
        return registry;
    }

    @Test
    void everyMeterHasADescription() {
        PrometheusMeterRegistry registry = bound();

        assertThat(registry.getMeters()).hasSizeGreaterThan(30);
        for (Meter m : registry.getMeters()) {
            assertThat(m.getId().getDescription()).as(m.getId().getName()).isNotBlank();
        }
    }

    /** Dashboards and alerts are built on these names: a base unit added to a gauge would rename it. */
    @Test
    void exportsThePrometheusNamesDashboardsAndAlertsUse() {
        Set<String> names = new TreeSet<>();
        for (String line : bound().scrape().split("\n")) {
            if (line.startsWith("# TYPE ")) {
                names.add(line.split(" ")[2]);
            }
        }

        assertThat(names)
                .containsExactlyInAnyOrder(
                        "gspo_fleet_requests_total",
                        "gspo_policy_version",
                        "gspo_train_accuracy",
                        "gspo_train_clip_fraction",
                        "gspo_train_entropy",
                        "gspo_train_expert_change_share",
                        "gspo_train_grad_norm",
                        "gspo_train_heldout_accuracy",
                        "gspo_train_importance_ratio",
                        "gspo_train_kl",
                        "gspo_train_logprob_mismatch",
                        "gspo_train_loss",
                        "gspo_train_phase_duration_seconds",
                        "gspo_train_response_length",
                        "gspo_train_reward_mean",
                        "gspo_train_reward_std",
                        "gspo_train_staleness",
                        "gspo_train_truncated_fraction",
                        "gspo_train_step_duration_seconds",
                        "gspo_train_step_duration_seconds_max",
                        "gspo_train_steps_total",
                        "gspo_train_tokens_per_second",
                        "gspo_train_tokens_total",
                        "gspo_train_updates_skipped_total",
                        "gspo_train_zero_variance_share",
                        "gspo_weights_publish_bytes_total",
                        "gspo_weights_publish_duration_seconds",
                        "gspo_weights_publish_duration_seconds_max",
                        "gspo_weights_publish_failures_total",
                        "gspo_weights_publish_retries_total");
    }
}
