package dev.gspo.optimizer.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.support.Steps;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class TrainingMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    private TrainingMetrics bound(Duration linger) {
        TrainingMetrics metrics = new TrainingMetrics(linger);
        metrics.bindTo(registry);
        metrics.onFleetRequest(URI.create("http://127.0.0.1:1"), "ok", 0.1);
        metrics.onPublish(new PublishResult(
                3,
                100,
                Duration.ofMillis(5),
                List.of(new PublishResult.Replica(URI.create("http://r"), true, 1, null))));
        return metrics;
    }

    /** A run that made one step, evaluated once and failed to write one file. */
    private RunMeters oneStep(TrainingMetrics metrics, String runId) {
        RunMeters run = metrics.forRun(runId);
        run.onStep(Steps.withRewards(1, 0.5, Map.of("math", 0.5)));
        run.onHeldOutAccuracy(1, 0.25);
        run.onCheckpoint(1, Path.of("ignored"));
        run.onWriteFailed("report", 1, new RuntimeException("disk full"));
        return run;
    }

    private static Set<String> exportedNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                names.add(line.split(" ")[2]);
            }
        }
        return names;
    }

    @Test
    void everyMeterHasADescription() {
        oneStep(bound(Duration.ZERO), "run-a");

        assertThat(registry.getMeters()).hasSizeGreaterThan(40);
        for (Meter m : registry.getMeters()) {
            assertThat(m.getId().getDescription()).as(m.getId().getName()).isNotBlank();
        }
    }

    /** Dashboards and alerts are built on these names: a base unit added to a gauge would rename it. */
    @Test
    void exportsThePrometheusNamesDashboardsAndAlertsUse() {
        oneStep(bound(Duration.ZERO), "run-a");

        assertThat(exportedNames(registry.scrape()))
                .containsExactlyInAnyOrder(
                        "gspo_fleet_requests_total",
                        "gspo_policy_version",
                        "gspo_run_file_write_failures_total",
                        "gspo_train_accuracy",
                        "gspo_train_clip_fraction",
                        "gspo_train_dynamic_sampling_dropped_share",
                        "gspo_train_entropy",
                        "gspo_train_grad_norm",
                        "gspo_train_heldout_accuracy",
                        "gspo_train_importance_ratio",
                        "gspo_train_kl",
                        "gspo_train_logprob_mismatch",
                        "gspo_train_loss",
                        "gspo_train_phase_duration_seconds",
                        "gspo_train_response_length",
                        "gspo_train_reward",
                        "gspo_train_reward_mean",
                        "gspo_train_reward_std",
                        "gspo_train_rollouts_extra_total",
                        "gspo_train_staleness",
                        "gspo_train_truncated_fraction",
                        "gspo_train_step_accuracy",
                        "gspo_train_step_accuracy_max",
                        "gspo_train_step_clip_fraction",
                        "gspo_train_step_clip_fraction_max",
                        "gspo_train_step_duration_seconds",
                        "gspo_train_step_duration_seconds_max",
                        "gspo_train_step_entropy",
                        "gspo_train_step_entropy_max",
                        "gspo_train_step_grad_norm",
                        "gspo_train_step_grad_norm_max",
                        "gspo_train_step_kl",
                        "gspo_train_step_kl_max",
                        "gspo_train_step_logprob_mismatch",
                        "gspo_train_step_logprob_mismatch_max",
                        "gspo_train_step_response_length",
                        "gspo_train_step_response_length_max",
                        "gspo_train_step_reward",
                        "gspo_train_step_reward_max",
                        "gspo_train_step_staleness",
                        "gspo_train_step_staleness_max",
                        "gspo_train_step_zero_variance_share",
                        "gspo_train_step_zero_variance_share_max",
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

    @Test
    void everyTrainingSeriesCarriesItsRunAndTheFleetsSeriesDoNot() {
        oneStep(bound(Duration.ZERO), "run-a");

        for (String line : registry.scrape().split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            boolean perProcess = line.startsWith("gspo_policy_version")
                    || line.startsWith("gspo_weights_publish")
                    || line.startsWith("gspo_fleet_");
            if (perProcess) {
                assertThat(line).as("a process-level series").doesNotContain("run=");
            } else {
                assertThat(line).as("a run's series").contains("run=\"run-a\"");
            }
        }
    }

    @Test
    void beforeTheFirstStepOnlyTheCountersExistAndNothingIsNaN() {
        bound(Duration.ZERO).forRun("run-a");

        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("gspo_train_steps_total{run=\"run-a\"} 0.0")
                .contains("gspo_run_file_write_failures_total{file=\"report\",run=\"run-a\"} 0.0")
                .doesNotContain("NaN")
                .doesNotContain("gspo_train_reward_mean")
                .doesNotContain("gspo_train_clip_fraction")
                .doesNotContain("gspo_train_heldout_accuracy");
    }

    @Test
    void theHeldOutAccuracyAppearsWithItsFirstMeasurement() {
        RunMeters run = bound(Duration.ZERO).forRun("run-a");
        run.onStep(Steps.withRewards(1, 0.5, Map.of()));

        assertThat(registry.scrape())
                .contains("gspo_train_reward_mean{run=\"run-a\"} 0.5")
                .doesNotContain("gspo_train_heldout_accuracy")
                .doesNotContain("NaN");

        run.onHeldOutAccuracy(1, 0.375);

        assertThat(registry.scrape()).contains("gspo_train_heldout_accuracy{run=\"run-a\"} 0.375");
    }

    @Test
    void aDensePolicyHasNoExpertChangeSeries() {
        RunMeters run = bound(Duration.ZERO).forRun("run-a");
        run.onStep(Steps.withRewards(1, 0.5, Map.of()));

        assertThat(registry.scrape()).doesNotContain("gspo_train_expert_change_share");
    }

    @Test
    void theCountersCountTheStepsOfTheirOwnRun() {
        TrainingMetrics metrics = bound(Duration.ofMinutes(10));
        RunMeters first = metrics.forRun("run-a");
        first.onStep(Steps.withRewards(1, 0.5, Map.of()));
        first.onStep(Steps.withRewards(2, 0.5, Map.of()));
        first.onRunEnded();
        RunMeters second = metrics.forRun("run-b");
        second.onStep(Steps.withRewards(1, 0.5, Map.of()));

        assertThat(registry.scrape())
                .contains("gspo_train_steps_total{run=\"run-a\"} 2.0")
                .contains("gspo_train_steps_total{run=\"run-b\"} 1.0");
    }

    @Test
    void aRunsSeriesAreRemovedWhenItEndsAndTheFleetsStay() {
        TrainingMetrics metrics = bound(Duration.ZERO);
        RunMeters run = oneStep(metrics, "run-a");
        run.onStep(Steps.withRewards(2, 0.5, Map.of("math", 1.0, "format", 0.0)));

        run.onRunEnded();

        assertThat(registry.getMeters())
                .as("what is left")
                .allSatisfy(m -> assertThat(m.getId().getTag("run")).isNull())
                .extracting(m -> m.getId().getName())
                .contains("gspo.policy.version", "gspo.weights.publish.failures");
        assertThat(registry.scrape()).doesNotContain("run-a");
        run.onStep(Steps.withRewards(3, 0.5, Map.of()));
        run.onHeldOutAccuracy(3, 0.5);
        assertThat(registry.scrape())
                .as("events after the end register nothing")
                .doesNotContain("run-a");
    }

    @Test
    void anEndedRunsSeriesLingerThenGo() {
        TrainingMetrics metrics = bound(Duration.ofMillis(300));
        RunMeters run = oneStep(metrics, "run-a");

        run.onRunEnded();

        assertThat(registry.scrape())
                .as("the final values stay for the next scrape")
                .contains("gspo_train_steps_total{run=\"run-a\"} 1.0");
        await().atMost(Duration.ofSeconds(10)).until(() -> !registry.scrape().contains("run-a"));
        metrics.close();
    }

    /** A resume keeps the run id: the new attempt's meters replace the lingering ones and count from 0. */
    @Test
    void aResumedRunReplacesItsLingeringSeries() throws Exception {
        TrainingMetrics metrics = bound(Duration.ofMillis(500));
        RunMeters first = oneStep(metrics, "run-a");
        first.onRunEnded();

        RunMeters resumed = metrics.forRun("run-a");

        assertThat(registry.scrape()).contains("gspo_train_steps_total{run=\"run-a\"} 0.0");
        assertThat(registry.find("gspo.train.reward.mean").gauges())
                .as("no step yet")
                .isEmpty();
        resumed.onStep(Steps.withRewards(7, 0.75, Map.of()));
        // a run that ends after the first attempt lingers as long; one remover thread takes them in order, so once its
        // series are gone the first attempt's removal has run too, and it must not have taken the new series
        oneStep(metrics, "run-b").onRunEnded();
        await().atMost(Duration.ofSeconds(10)).until(() -> !registry.scrape().contains("run-b"));
        assertThat(registry.scrape())
                .contains("gspo_train_steps_total{run=\"run-a\"} 1.0")
                .contains("gspo_train_reward_mean{run=\"run-a\"} 0.75");
        metrics.close();
    }

    /** Every step counts in the per-step summaries; a signed measure is split by sign so that rate() stays valid. */
    @Test
    void thePerStepSummariesSeeEveryStepAndKeepNegativeRewards() {
        RunMeters run = bound(Duration.ZERO).forRun("run-a");
        for (double reward : new double[] {0.5, -0.25, 1.0}) {
            run.onStep(Steps.withRewards(1, reward, Map.of()));
        }

        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("gspo_train_step_reward_count{run=\"run-a\",sign=\"positive\"} 2")
                .contains("gspo_train_step_reward_sum{run=\"run-a\",sign=\"positive\"} 1.5")
                .contains("gspo_train_step_reward_count{run=\"run-a\",sign=\"negative\"} 1")
                .contains("gspo_train_step_reward_sum{run=\"run-a\",sign=\"negative\"} 0.25")
                .contains("gspo_train_step_reward_max{run=\"run-a\",sign=\"positive\"} 1.0")
                .contains("gspo_train_step_clip_fraction_count{level=\"sequence\",run=\"run-a\"} 3")
                .contains("gspo_train_step_accuracy_sum{run=\"run-a\"} 1.5");
    }

    @Test
    void aSignedMeasureExportsBothSignsFromTheFirstStep() {
        RunMeters run = bound(Duration.ZERO).forRun("run-a");
        StepMetrics positive = Steps.withRewards(1, 0.5, Map.of());

        run.onStep(positive);

        assertThat(registry.scrape())
                .contains("gspo_train_step_reward_count{run=\"run-a\",sign=\"negative\"} 0")
                .contains("gspo_train_step_kl_count{run=\"run-a\",sign=\"positive\"} 1");
    }
}
