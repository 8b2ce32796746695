package dev.gspo.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** deploy/grafana/dashboards/gspo-training.json: its panels and their queries. */
final class Dashboard {
    static final String FILE = "deploy/grafana/dashboards/gspo-training.json";

    record Query(String panel, String refId, String expr, String legend) {}

    private Dashboard() {}

    static JsonNode json() {
        try {
            return Yamls.JSON.readTree(Repo.read(FILE));
        } catch (IOException e) {
            throw new UncheckedIOException(FILE + " is not valid JSON", e);
        }
    }

    /** Every panel, with the panels nested in collapsed rows. */
    static List<JsonNode> panels() {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : json().path("panels")) {
            out.add(p);
            p.path("panels").forEach(out::add);
        }
        return out;
    }

    static List<Query> queries() {
        List<Query> out = new ArrayList<>();
        for (JsonNode p : panels()) {
            for (JsonNode t : p.path("targets")) {
                out.add(new Query(
                        p.path("title").asText(),
                        t.path("refId").asText(),
                        t.path("expr").asText(),
                        t.path("legendFormat").asText("")));
            }
        }
        return out;
    }

    /** The expression with Grafana's interval variables replaced, as Prometheus would receive it. */
    static String asPromQl(String expr) {
        return expr.replace("$__rate_interval", "1m")
                .replace("${__rate_interval}", "1m")
                .replace("$__interval", "1m")
                .replace("${__interval}", "1m")
                .replace("$__range", "1h");
    }
}
