package dev.gspo.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The dashboard and the alert rules use only the metric names (and labels, and label values) of
 * deploy/metrics-contract.txt, and the contract is exactly the meters docs/ARCHITECTURE.md §9 marks as contract: the required ones plus the
 * optimizer's five extra gauges/counters.
 */
class MetricContractTest {
    /**
     * The required meters in Prometheus form, plus the optimizer's phase/throughput/skip/held-out/zero-variance meters
     * and the per-step summaries that see every step.
     */
    private static final Set<String> EXPECTED = Set.of(
            "gspo_train_clip_fraction",
            "gspo_train_reward_mean",
            "gspo_train_reward_std",
            "gspo_train_accuracy",
            "gspo_train_importance_ratio",
            "gspo_train_kl",
            "gspo_train_entropy",
            "gspo_train_grad_norm",
            "gspo_train_loss",
            "gspo_train_logprob_mismatch",
            "gspo_train_steps_total",
            "gspo_train_step_duration_seconds_count",
            "gspo_train_step_duration_seconds_sum",
            "gspo_train_step_duration_seconds_max",
            "gspo_train_tokens_total",
            "gspo_policy_version",
            "gspo_rollout_tokens_generated_total",
            "gspo_rollout_samples_total",
            "gspo_rollout_request_duration_seconds_count",
            "gspo_rollout_request_duration_seconds_sum",
            "gspo_rollout_request_duration_seconds_max",
            "gspo_weights_publish_duration_seconds_count",
            "gspo_weights_publish_duration_seconds_sum",
            "gspo_weights_publish_duration_seconds_max",
            "gspo_weights_publish_bytes_total",
            "gspo_weights_publish_failures_total",
            // named adapters (many runs, one fleet): per adapter, and how many are loaded
            "gspo_weights_publish_adapter_bytes_total",
            "gspo_rollout_adapters_loaded",
            "gspo_rollout_adapter_version",
            "gspo_rollout_adapter_bytes",
            "gspo_rollout_adapter_tokens_generated_total",
            "gspo_rollout_adapter_samples_total",
            "gspo_train_phase_duration_seconds",
            "gspo_train_tokens_per_second",
            "gspo_train_updates_skipped_total",
            "gspo_train_heldout_accuracy",
            "gspo_train_zero_variance_share",
            "gspo_train_step_reward_sum",
            "gspo_train_step_reward_count",
            "gspo_train_step_accuracy_sum",
            "gspo_train_step_accuracy_count",
            "gspo_train_step_clip_fraction_sum",
            "gspo_train_step_clip_fraction_count",
            "gspo_train_step_kl_sum",
            "gspo_train_step_kl_count",
            "gspo_train_step_entropy_sum",
            "gspo_train_step_entropy_count",
            "gspo_train_step_grad_norm_sum",
            "gspo_train_step_grad_norm_count",
            "gspo_train_step_grad_norm_max",
            "gspo_train_step_logprob_mismatch_sum",
            "gspo_train_step_logprob_mismatch_count",
            "gspo_train_step_logprob_mismatch_max",
            "gspo_train_step_zero_variance_share_sum",
            "gspo_train_step_zero_variance_share_count");

    private static final MetricContract CONTRACT = MetricContract.load();

    @Test
    void theContractIsDesignSection4PlusTheOptimizersExtraMeters() {
        assertThat(CONTRACT.metrics().keySet()).containsExactlyInAnyOrderElementsOf(EXPECTED);
        assertThat(CONTRACT.metrics().get("gspo_train_clip_fraction").labels())
                .isEqualTo(Map.of(
                        "run", Set.of(), "level", Set.of("sequence", "token"), "side", Set.of("low", "high", "total")));
        // every training series is per run; the fleet's are per process
        CONTRACT.metrics().values().stream()
                .filter(m -> m.name().startsWith("gspo_train_"))
                .forEach(m -> assertThat(m.labels()).as(m.name()).containsEntry("run", Set.of()));
        CONTRACT.metrics().values().stream()
                .filter(m -> !m.name().startsWith("gspo_train_"))
                .forEach(m -> assertThat(m.labels()).as(m.name()).doesNotContainKey("run"));
        assertThat(CONTRACT.metrics()
                        .get("gspo_train_phase_duration_seconds")
                        .labels()
                        .get("phase"))
                .containsExactlyInAnyOrder("rollout", "train", "publish", "other");
        assertThat(CONTRACT.metrics().get("gspo_rollout_adapter_version").labels())
                .isEqualTo(Map.of("adapter", Set.of()));
        assertThat(CONTRACT.metrics().get("gspo_policy_version").applications())
                .containsExactlyInAnyOrder("rollout-service", "optimizer-service");
        assertThat(CONTRACT.commonLabels().get("application"))
                .containsExactlyInAnyOrder("rollout-service", "optimizer-service");
    }

    @Test
    void theDashboardUsesOnlyContractMetricsLabelsAndValues() {
        List<String> problems = new ArrayList<>();
        for (Dashboard.Query q : Dashboard.queries()) {
            problems.addAll(check(q.panel() + "/" + q.refId(), Dashboard.asPromQl(q.expr()), q.legend()));
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void theAlertRulesUseOnlyContractMetricsLabelsAndValues() {
        List<String> problems = new ArrayList<>();
        for (Map<String, Object> rule : alertRules()) {
            String expr = String.valueOf(rule.get("expr"));
            problems.addAll(check(String.valueOf(rule.get("alert")), expr, annotationText(rule)));
        }
        assertThat(alertRules()).isNotEmpty();
        assertThat(problems).isEmpty();
    }

    @Test
    void theDashboardShowsEveryMetricOfTheContract() {
        Set<String> used = new LinkedHashSet<>();
        Dashboard.queries()
                .forEach(q -> PromQl.selectors(Dashboard.asPromQl(q.expr())).forEach(s -> used.add(s.metric())));
        assertThat(used).containsAll(CONTRACT.metrics().keySet());
    }

    @Test
    void theSelectorReaderFindsMetricsLabelsAndGroupings() {
        String expr = "sum by (instance) (rate(gspo_rollout_samples_total{application=\"rollout-service\"}[1m]))"
                + " / on (instance) group_left max(gspo_policy_version) and up offset 5m > bool 0.5e-3";
        assertThat(PromQl.selectors(expr))
                .containsExactly(
                        new PromQl.Selector(
                                "gspo_rollout_samples_total",
                                List.of(new PromQl.Matcher("application", "=", "rollout-service"))),
                        new PromQl.Selector("gspo_policy_version", List.of()),
                        new PromQl.Selector("up", List.of()));
        assertThat(PromQl.groupingLabels(expr)).containsExactly("instance");
        assertThat(CONTRACT.violations(
                        PromQl.selectors("gspo_train_kl{level=\"token\"}").getFirst()))
                .singleElement()
                .asString()
                .contains("no label 'level'");
        assertThat(CONTRACT.violations(PromQl.selectors("gspo_train_clip_fraction{side=\"middle\"}")
                        .getFirst()))
                .singleElement()
                .asString()
                .contains("value not in");
        assertThat(CONTRACT.violations(PromQl.selectors("gspo_train_kl{application=\"rollout-service\"}")
                        .getFirst()))
                .hasSize(1);
        assertThat(CONTRACT.violations(PromQl.selectors("gspo_train_klx").getFirst()))
                .hasSize(1);
    }

    /** Violations of one expression: unknown metrics/labels/values, and grouping or template labels no series has. */
    private static List<String> check(String where, String expr, String templates) {
        List<String> problems = new ArrayList<>();
        List<PromQl.Selector> selectors = PromQl.selectors(expr);
        if (selectors.isEmpty()) {
            problems.add(where + ": no metric in '" + expr + "'");
        }
        Set<String> labels = new LinkedHashSet<>(CONTRACT.commonLabels().keySet());
        for (PromQl.Selector s : selectors) {
            CONTRACT.violations(s).forEach(v -> problems.add(where + ": " + v));
            MetricContract.Metric m = CONTRACT.metrics().get(s.metric());
            if (m != null) {
                labels.addAll(m.labels().keySet());
            }
        }
        Set<String> referenced = new LinkedHashSet<>(PromQl.groupingLabels(expr));
        Matcher t = Pattern.compile("\\{\\{\\s*(?:\\$labels\\.)?([a-zA-Z_][a-zA-Z0-9_]*)\\s*}}")
                .matcher(templates);
        while (t.find()) {
            referenced.add(t.group(1));
        }
        for (String label : referenced) {
            if (!labels.contains(label)) {
                problems.add(where + ": label '" + label + "' is not on any series of this expression");
            }
        }
        return problems;
    }

    static List<Map<String, Object>> alertRules() {
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Object g : Yamls.list(
                Yamls.loadMap(Repo.path("deploy/prometheus/alerts.yml")).get("groups"))) {
            for (Object r : Yamls.list(Yamls.map(g).get("rules"))) {
                rules.add(new LinkedHashMap<>(Yamls.map(r)));
            }
        }
        return rules;
    }

    private static String annotationText(Map<String, Object> rule) {
        return String.join(
                "\n",
                Yamls.map(rule.get("annotations")).values().stream()
                        .map(String::valueOf)
                        .toList());
    }
}
