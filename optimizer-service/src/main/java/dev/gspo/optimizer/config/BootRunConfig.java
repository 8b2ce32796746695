package dev.gspo.optimizer.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;

/** The boot run's config: a JSON file (optional) with single fields overridden from properties. */
final class BootRunConfig {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BootRunConfig() {}

    /**
     * @param overrides field → value as text; a field is a nested path ({@code sampling.temperature}) or a flat field
     *                  of earlier versions ({@code temperature}, {@code taskParams.path}), see
     *                  {@link RunConfigJson#set}; a value that parses as JSON (number, boolean, object) is taken as
     *                  that, anything else as a string
     */
    static RunConfig read(String file, Map<String, String> overrides) throws IOException {
        ObjectNode node = file == null || file.isBlank()
                ? JSON.createObjectNode()
                : (ObjectNode) JSON.readTree(Path.of(file).toFile());
        // a new task name first: it drops the file's task parameters, not the ones the overrides give
        overrides.entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<String, String> e) -> !RunConfigJson.namesTask(e.getKey())))
                .forEach(e -> RunConfigJson.set(node, e.getKey(), parse(e.getValue())));
        return RunConfigJson.read(node);
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
