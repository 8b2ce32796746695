package dev.gspo.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * YAML as Kubernetes, Compose and Prometheus read it, but stricter: a key given twice in one mapping is an error
 * (SnakeYAML would keep the last one silently). Anchors, aliases and merge keys ({@code <<}) are resolved.
 */
final class Yamls {
    static final ObjectMapper JSON = new ObjectMapper();

    private Yamls() {}

    /** Every non-empty document of a (multi-document) YAML file. */
    static List<Object> loadAll(Path file) {
        return loadAll(Repo.read(file));
    }

    static List<Object> loadAll(String text) {
        List<Object> docs = new ArrayList<>();
        for (Object doc : yaml().loadAll(text)) {
            if (doc != null) {
                docs.add(doc);
            }
        }
        return docs;
    }

    static Map<String, Object> loadMap(Path file) {
        List<Object> docs = loadAll(file);
        if (docs.size() != 1 || !(docs.getFirst() instanceof Map<?, ?>)) {
            throw new IllegalArgumentException(
                    Repo.relative(file) + ": expected one YAML mapping, got " + docs.size() + " document(s)");
        }
        return map(docs.getFirst());
    }

    static JsonNode tree(Object yaml) {
        return JSON.valueToTree(yaml);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o == null ? Map.of() : (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return o == null ? List.of() : (List<Object>) o;
    }

    private static Yaml yaml() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        return new Yaml(new SafeConstructor(options));
    }
}
