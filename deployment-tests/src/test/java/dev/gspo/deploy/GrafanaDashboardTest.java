package dev.gspo.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The training dashboard: well-formed, portable between compose and Kubernetes, and showing what operators watch
 * (clip fraction, reward, accuracy, ratio, KL, entropy, grad norm, mismatch, step-time split, throughput, versions,
 * publishing).
 */
class GrafanaDashboardTest {
    @Test
    void isAWellFormedDashboardWithUniquePanelIdsOnTheGrid() {
        JsonNode d = Dashboard.json();
        assertThat(d.path("uid").asText()).isEqualTo("gspo-training");
        assertThat(d.path("title").asText()).isEqualTo("GSPO training");
        Set<Integer> ids = new HashSet<>();
        List<int[]> boxes = new ArrayList<>();
        for (JsonNode p : Dashboard.panels()) {
            String title = p.path("title").asText();
            assertThat(ids.add(p.path("id").asInt()))
                    .as("duplicate panel id in " + title)
                    .isTrue();
            JsonNode g = p.path("gridPos");
            int x = g.path("x").asInt(),
                    y = g.path("y").asInt(),
                    w = g.path("w").asInt(),
                    h = g.path("h").asInt();
            assertThat(w).as(title).isPositive();
            assertThat(h).as(title).isPositive();
            assertThat(x + w).as(title + ": beyond Grafana's 24 columns").isLessThanOrEqualTo(24);
            for (int[] b : boxes) {
                boolean overlap = x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + h;
                assertThat(overlap).as(title + " overlaps another panel").isFalse();
            }
            boxes.add(new int[] {x, y, w, h});
        }
    }

    @Test
    void everyQueryUsesTheDatasourceVariableSoTheDashboardWorksWithAnyPrometheus() {
        JsonNode variables = Dashboard.json().path("templating").path("list");
        assertThat(variables).anySatisfy(v -> {
            assertThat(v.path("name").asText()).isEqualTo("datasource");
            assertThat(v.path("type").asText()).isEqualTo("datasource");
            assertThat(v.path("query").asText()).isEqualTo("prometheus");
        });
        for (JsonNode p : Dashboard.panels()) {
            if (p.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(p.path("targets")).as(p.path("title").asText()).isNotEmpty();
            for (JsonNode node : iterable(p)) {
                assertThat(node.path("type").asText()).isEqualTo("prometheus");
                assertThat(node.path("uid").asText())
                        .as(p.path("title").asText())
                        .isEqualTo("${datasource}");
            }
        }
    }

    @Test
    void showsTheTrainingSignalThroughputVersionsAndPublication() {
        List<String> titles =
                Dashboard.panels().stream().map(p -> p.path("title").asText()).toList();
        assertThat(titles)
                .contains(
                        "Clip fraction — per sequence",
                        "Clip fraction — per token",
                        "Reward",
                        "Accuracy",
                        "Importance ratio",
                        "KL (old ‖ new)",
                        "Entropy",
                        "Gradient norm and loss",
                        "Train–inference mismatch",
                        "Step duration split",
                        "Tokens per second",
                        "Policy version per replica",
                        "Publish duration",
                        "Publish failures and volume");
        // Both clip-fraction panels show low, high and total.
        for (String level : List.of("sequence", "token")) {
            assertThat(Dashboard.queries().stream()
                            .map(Dashboard.Query::expr)
                            .filter(e -> e.contains("level=\"" + level + "\""))
                            .toList())
                    .anySatisfy(e -> assertThat(e).contains("side=\"low\""))
                    .anySatisfy(e -> assertThat(e).contains("side=\"high\""))
                    .anySatisfy(e -> assertThat(e).contains("side=\"total\""));
        }
        assertThat(Dashboard.queries())
                .filteredOn(q -> q.panel().equals("Policy version per replica"))
                .singleElement()
                .satisfies(q -> assertThat(q.legend()).contains("{{instance}}"));
    }

    /** The datasource objects of a panel and of its targets. */
    private static List<JsonNode> iterable(JsonNode panel) {
        List<JsonNode> out = new ArrayList<>();
        out.add(panel.path("datasource"));
        panel.path("targets").forEach(t -> out.add(t.path("datasource")));
        return out;
    }

    /**
     * Runs and optimizers can be told apart: {@code run} and {@code instance} variables (and {@code replica} for the
     * rollout fleet), and every query filtered by them: a training series by instance and run, the optimizer's
     * per-process series by instance, the replicas' by replica.
     */
    @Test
    void everyQueryIsFilteredByTheRunAndInstanceVariables() {
        JsonNode variables = Dashboard.json().path("templating").path("list");
        for (String name : List.of("instance", "run", "replica")) {
            assertThat(variables).as(name).anySatisfy(v -> {
                assertThat(v.path("name").asText()).isEqualTo(name);
                assertThat(v.path("type").asText()).isEqualTo("query");
                assertThat(v.path("definition").asText()).startsWith("label_values(");
            });
        }
        assertThat(variables)
                .filteredOn(v -> v.path("name").asText().equals("run"))
                .singleElement()
                .satisfies(
                        v -> assertThat(v.path("definition").asText()).contains("instance=~\"$instance\"", ", run)"));
        List<String> problems = new ArrayList<>();
        for (Dashboard.Query q : Dashboard.queries()) {
            for (PromQl.Selector s : PromQl.selectors(Dashboard.asPromQl(q.expr()))) {
                Set<String> filters = new HashSet<>();
                s.matchers().forEach(m -> filters.add(m.label() + m.op() + m.value()));
                List<String> needed = s.metric().startsWith("gspo_train_")
                        ? List.of("instance=~$instance", "run=~$run")
                        : s.metric().startsWith("gspo_rollout_")
                                ? List.of("instance=~$replica")
                                : filters.contains("application=rollout-service")
                                        ? List.of("instance=~$replica")
                                        : List.of("instance=~$instance");
                for (String f : needed) {
                    if (!filters.contains(f)) {
                        problems.add(q.panel() + "/" + q.refId() + ": " + s.metric() + " without " + f);
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    /**
     * Runs sharing one fleet through named adapters can be told apart on the replicas too: an {@code adapter}
     * variable (the adapters the selected replicas serve), and every query of a per-adapter series filtered by it.
     */
    @Test
    void everyAdapterSeriesIsFilteredByTheAdapterVariable() {
        JsonNode variables = Dashboard.json().path("templating").path("list");
        assertThat(variables)
                .filteredOn(v -> v.path("name").asText().equals("adapter"))
                .singleElement()
                .satisfies(v -> {
                    assertThat(v.path("type").asText()).isEqualTo("query");
                    assertThat(v.path("definition").asText())
                            .startsWith("label_values(gspo_rollout_adapter_version{")
                            .contains("instance=~\"$replica\"", ", adapter)");
                });
        List<String> adapterMetrics = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Dashboard.Query q : Dashboard.queries()) {
            for (PromQl.Selector s : PromQl.selectors(Dashboard.asPromQl(q.expr()))) {
                if (!s.metric().startsWith("gspo_rollout_adapter_")
                        && !s.metric().startsWith("gspo_weights_publish_adapter_")) {
                    continue;
                }
                adapterMetrics.add(s.metric());
                Set<String> filters = new HashSet<>();
                s.matchers().forEach(m -> filters.add(m.label() + m.op() + m.value()));
                if (!filters.contains("adapter=~$adapter")) {
                    problems.add(q.panel() + "/" + q.refId() + ": " + s.metric() + " without adapter=~$adapter");
                }
            }
        }
        assertThat(problems).isEmpty();
        assertThat(adapterMetrics)
                .contains(
                        "gspo_rollout_adapter_version",
                        "gspo_rollout_adapter_bytes",
                        "gspo_rollout_adapter_tokens_generated_total",
                        "gspo_weights_publish_adapter_bytes_total");
    }

    /**
     * A counter's value is the process's (or run attempt's) lifetime total, meaningless on a dashboard: every counter
     * (and summary/timer {@code _sum}/{@code _count}) is read through {@code increase()} or {@code rate()}, and a stat
     * over the selected range uses {@code $__range}.
     */
    @Test
    void countersAreReadAsIncreaseOrRateOverTheRange() {
        Pattern counter = Pattern.compile("(\\w+(?:_total|_sum|_count))\\{");
        List<String> problems = new ArrayList<>();
        for (Dashboard.Query q : Dashboard.queries()) {
            Matcher m = counter.matcher(q.expr());
            while (m.find()) {
                String before = q.expr().substring(0, m.start());
                if (!before.endsWith("rate(") && !before.endsWith("increase(")) {
                    problems.add(q.panel() + "/" + q.refId() + ": " + m.group(1) + " not inside rate() or increase()");
                }
            }
        }
        assertThat(problems).isEmpty();
        for (String stat : List.of("Steps", "Updates skipped", "Publish failures", "Reward mean")) {
            assertThat(Dashboard.queries())
                    .filteredOn(q -> q.panel().equals(stat))
                    .singleElement()
                    .satisfies(q -> assertThat(q.expr()).contains("increase(").contains("[$__range]"));
        }
    }

    /** Before a run's first evaluation its held-out series does not exist: "No data", never NaN or a stale value. */
    @Test
    void theHeldOutStatShowsTheLastEvaluationOfEachRun() {
        assertThat(Dashboard.queries())
                .filteredOn(q -> q.panel().equals("Held-out accuracy"))
                .singleElement()
                .satisfies(q -> {
                    assertThat(q.expr())
                            .startsWith("last_over_time(gspo_train_heldout_accuracy{")
                            .endsWith("[$__range])");
                    assertThat(q.legend()).contains("{{run}}");
                });
    }
}
