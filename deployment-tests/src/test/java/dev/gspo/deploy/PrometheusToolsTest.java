package dev.gspo.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * promtool (Debian's prometheus package) checks the alert rules, the compose Prometheus config and every dashboard
 * query, and runs the alert unit tests. Without promtool these tests FAIL (see {@link Promtool}).
 */
class PrometheusToolsTest {
    private static final Path PROMETHEUS_DIR = Repo.path("deploy/prometheus");

    @Test
    void promtoolAcceptsTheAlertRules() {
        Promtool.Result r = Promtool.run(Repo.ROOT, "check", "rules", "deploy/prometheus/alerts.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void promtoolAcceptsThePrometheusConfigAndTheRuleFilesItLoads() {
        Promtool.Result r = Promtool.run(Repo.ROOT, "check", "config", "deploy/prometheus/prometheus.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS: 1 rule files found");
    }

    @Test
    void theAlertsFireAndStaySilentAsTheirUnitTestsSay() {
        Promtool.Result r = Promtool.run(PROMETHEUS_DIR, "test", "rules", "alerts.test.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void everyAlertHasAUnitTestInWhichItFires() {
        Set<String> alerts = MetricContractTest.alertRules().stream()
                .map(r -> String.valueOf(r.get("alert")))
                .collect(Collectors.toCollection(LinkedHashSet::new));
        Set<String> firing = new LinkedHashSet<>();
        for (Object t : Yamls.list(
                Yamls.loadMap(PROMETHEUS_DIR.resolve("alerts.test.yml")).get("tests"))) {
            for (Object a : Yamls.list(Yamls.map(t).get("alert_rule_test"))) {
                Map<String, Object> check = Yamls.map(a);
                if (!Yamls.list(check.get("exp_alerts")).isEmpty()) {
                    firing.add(String.valueOf(check.get("alertname")));
                }
            }
        }
        assertThat(firing).containsExactlyInAnyOrderElementsOf(alerts);
    }

    @Test
    void theAlertsIssue7AsksForExistWithSeverityAndAnnotations() {
        List<Map<String, Object>> rules = MetricContractTest.alertRules();
        assertThat(rules)
                .extracting(r -> r.get("alert"))
                .containsExactlyInAnyOrder(
                        "GspoClipFractionOutOfBand",
                        "GspoRewardFlat",
                        "GspoWeightPublishFailing",
                        "GspoReplicaStaleVersion",
                        "GspoReplicaBehindWhilePushesFail",
                        "GspoNonFiniteUpdatesSkipped");
        for (Map<String, Object> rule : rules) {
            assertThat(Yamls.map(rule.get("labels")).get("severity"))
                    .as(rule.get("alert").toString())
                    .isIn("warning", "critical");
            assertThat(Yamls.map(rule.get("annotations")))
                    .as(rule.get("alert").toString())
                    .containsKeys("summary", "description");
        }
        String stale = rules.stream()
                .filter(r -> r.get("alert").equals("GspoReplicaStaleVersion"))
                .findFirst()
                .orElseThrow()
                .get("expr")
                .toString();
        assertThat(stale)
                .contains("max(gspo_policy_version)")
                .contains("min by (instance)")
                .contains("> 1");
    }

    @Test
    void everyDashboardQueryIsValidPromQl(@TempDir Path dir) throws IOException {
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard-queries\n    rules:\n");
        int n = 0;
        for (Dashboard.Query q : Dashboard.queries()) {
            rules.append("      - record: dashboard:query_")
                    .append(n++)
                    .append('\n')
                    .append("        expr: ")
                    .append(Yamls.JSON.writeValueAsString(Dashboard.asPromQl(q.expr())))
                    .append('\n');
        }
        assertThat(n).isGreaterThan(20);
        Path file = Files.writeString(dir.resolve("dashboard-queries.yml"), rules);
        Promtool.Result r =
                Promtool.run(dir, "check", "rules", file.getFileName().toString());
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS: " + n + " rules found");
    }

    @Test
    void promtoolRejectsABrokenRuleSoTheseChecksCanFail(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(
                dir.resolve("broken.yml"),
                "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(gspo_train_steps_total[5m]\n");
        Promtool.Result r =
                Promtool.run(dir, "check", "rules", file.getFileName().toString());
        assertThat(r.exitCode()).as(r.output()).isNotZero();
    }
}
