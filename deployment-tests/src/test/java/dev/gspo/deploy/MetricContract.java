package dev.gspo.deploy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code deploy/metrics-contract.txt}: the Prometheus series names (and their labels and label values) that
 * dashboards and alerts may use.
 */
record MetricContract(Map<String, Metric> metrics, Map<String, Set<String>> commonLabels) {
    static final String FILE = "deploy/metrics-contract.txt";

    /** A label's allowed values; empty = any value. */
    record Metric(String name, Set<String> applications, Map<String, Set<String>> labels) {}

    static MetricContract load() {
        Map<String, Metric> metrics = new LinkedHashMap<>();
        Map<String, Set<String>> common = new LinkedHashMap<>();
        int lineNumber = 0;
        for (String raw : Repo.read(FILE).split("\n")) {
            lineNumber++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            if (fields[0].equals("@common")) {
                common.putAll(labels(fields, 1));
                continue;
            }
            if (!fields[0].matches("[a-z_][a-z0-9_]*") || fields.length < 2) {
                throw new IllegalArgumentException(FILE + ":" + lineNumber + ": expected '<name> <applications> "
                        + "[label=v1|v2]...', got '" + line + "'");
            }
            Metric metric =
                    new Metric(fields[0], new LinkedHashSet<>(Arrays.asList(fields[1].split(","))), labels(fields, 2));
            if (metrics.put(metric.name(), metric) != null) {
                throw new IllegalArgumentException(FILE + ":" + lineNumber + ": " + metric.name() + " listed twice");
            }
        }
        return new MetricContract(metrics, common);
    }

    private static Map<String, Set<String>> labels(String[] fields, int from) {
        Map<String, Set<String>> labels = new LinkedHashMap<>();
        for (int i = from; i < fields.length; i++) {
            int eq = fields[i].indexOf('=');
            labels.put(
                    eq < 0 ? fields[i] : fields[i].substring(0, eq),
                    eq < 0
                            ? Set.of()
                            : new LinkedHashSet<>(
                                    Arrays.asList(fields[i].substring(eq + 1).split("\\|"))));
        }
        return labels;
    }

    /** The problems with one selector of an expression; empty when it honours the contract. */
    Set<String> violations(PromQl.Selector selector) {
        Set<String> problems = new LinkedHashSet<>();
        if (selector.metric() == null) {
            problems.add("selector without a metric name: " + selector);
            return problems;
        }
        Metric metric = metrics.get(selector.metric());
        if (metric == null) {
            problems.add("metric '" + selector.metric() + "' is not in " + FILE);
            return problems;
        }
        for (PromQl.Matcher m : selector.matchers()) {
            Set<String> allowed;
            if (m.label().equals("application")) {
                allowed = metric.applications();
            } else if (metric.labels().containsKey(m.label())) {
                allowed = metric.labels().get(m.label());
            } else if (commonLabels.containsKey(m.label())) {
                allowed = commonLabels.get(m.label());
            } else {
                problems.add(selector.metric() + " has no label '" + m.label() + "' (contract: "
                        + metric.labels().keySet() + " + " + commonLabels.keySet() + ")");
                continue;
            }
            if (m.op().equals("=") && !allowed.isEmpty() && !allowed.contains(m.value())) {
                problems.add(selector.metric() + "{" + m.label() + "=\"" + m.value() + "\"}: value not in " + allowed);
            }
        }
        return problems;
    }
}
