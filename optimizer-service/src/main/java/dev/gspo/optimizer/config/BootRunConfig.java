package dev.gspo.optimizer.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.optimizer.run.RunConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** The boot run's config: a JSON file (optional) with single fields overridden from properties. */
final class BootRunConfig {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BootRunConfig() {}

    /**
     * @param overrides field → value as text; a value that parses as JSON (number, boolean, object) is taken as
     *                  that, anything else as a string; {@code taskParams.x} sets a key of taskParams
     */
    static RunConfig read(String file, Map<String, String> overrides) throws IOException {
        ObjectNode node = file == null || file.isBlank()
                ? JSON.createObjectNode()
                : (ObjectNode) JSON.readTree(Path.of(file).toFile());
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            String key = e.getKey();
            JsonNode value = parse(e.getValue());
            if (key.startsWith("taskParams.")) {
                ObjectNode params =
                        node.has("taskParams") ? (ObjectNode) node.get("taskParams") : node.putObject("taskParams");
                params.set(key.substring("taskParams.".length()), value);
            } else {
                node.set(key, value);
            }
        }
        return JSON.treeToValue(node, RunConfig.class);
    }

    private static JsonNode parse(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            return n == null || n.isMissingNode() ? JSON.getNodeFactory().textNode(text) : n;
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(text);
        }
    }
}
