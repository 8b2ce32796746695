package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.common.objective.LossMode;
import dev.gspo.common.reward.RewardSpec;
import dev.gspo.common.task.TaskSpec;
import dev.gspo.common.train.OldLogprobs;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads a {@link RunConfig} from JSON, in its nested form or in the flat form of earlier versions, and applies
 * single-field overrides ({@code ./gspo train --set sampling.temperature=0.5}).
 *
 * <p>Flat fields map to nested ones by {@link #FLAT_FIELDS}; {@code "task": "addition", "taskParams": {…}} becomes
 * {@code "task": {"name": "addition", …}}. A field given both ways is an error, as is an unknown field, a value of
 * the wrong type (no silent truncation of {@code 2.5} to an integer) or a parameter the named task does not have. Every
 * error names the field by its nested path.
 */
public final class RunConfigJson {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** Flat field of earlier versions → its nested path. */
    public static final Map<String, String> FLAT_FIELDS = Map.ofEntries(
            Map.entry("promptsPerStep", "sampling.promptsPerStep"),
            Map.entry("groupSize", "sampling.groupSize"),
            Map.entry("temperature", "sampling.temperature"),
            Map.entry("maxNewTokens", "sampling.maxNewTokens"),
            Map.entry("lossMode", "objective.lossMode"),
            Map.entry("clipLow", "objective.clipLow"),
            Map.entry("clipHigh", "objective.clipHigh"),
            Map.entry("oldLogprobs", "objective.oldLogprobs"),
            Map.entry("klBeta", "objective.klBeta"),
            Map.entry("scaleAdvantagesByStd", "objective.scaleAdvantagesByStd"),
            Map.entry("routingReplay", "objective.routingReplay"),
            Map.entry("learningRate", "optimizer.learningRate"),
            Map.entry("miniBatches", "optimizer.miniBatches"),
            Map.entry("maxGradNorm", "optimizer.maxGradNorm"),
            Map.entry("weightDecay", "optimizer.weightDecay"),
            Map.entry("sftSteps", "warmStart.steps"),
            Map.entry("sftBatchSize", "warmStart.batchSize"),
            Map.entry("sftLearningRate", "warmStart.learningRate"),
            Map.entry("evalEvery", "eval.every"),
            Map.entry("evalSize", "eval.size"),
            Map.entry("checkpointEvery", "checkpointing.every"));

    private static final String DEFAULT_TASK = "addition";

    private RunConfigJson() {}

    /**
     * The config a JSON object describes (null or empty: all defaults).
     *
     * @throws InvalidRunConfigException naming every field that is unknown, given twice or of the wrong type
     */
    public static RunConfig read(JsonNode json) {
        if (json == null || json.isNull() || json.isMissingNode()) {
            return RunConfig.empty();
        }
        if (!json.isObject()) {
            throw InvalidRunConfigException.malformed(List.of("the run config must be a JSON object, got "
                    + json.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
        }
        ObjectNode nested = nest((ObjectNode) json.deepCopy());
        List<String> unknownNames = removeUnknownNames(nested);
        try {
            RunConfig config = JSON.treeToValue(nested, RunConfig.class);
            if (!unknownNames.isEmpty()) {
                // an unknown name is a value out of its set, like a value out of its range: both are listed at once
                List<String> all = new java.util.ArrayList<>(unknownNames);
                all.addAll(config.withDefaults().validate());
                throw new InvalidRunConfigException(all);
            }
            return config;
        } catch (JsonMappingException e) {
            throw InvalidRunConfigException.malformed(List.of(describe(e)));
        } catch (java.io.IOException e) {
            throw InvalidRunConfigException.malformed(List.of(malformedJson(e)));
        }
    }

    /** {@link #read(JsonNode)} of a JSON text. */
    public static RunConfig read(String json) {
        try {
            return read(JSON.readTree(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw InvalidRunConfigException.malformed(List.of(malformedJson(e)));
        }
    }

    /**
     * What the parser found wrong and where, without its internals (the source description {@code [Source: …]}, the
     * start-marker reference, Java class names), e.g. {@code malformed JSON at line 1, column 12: Unexpected
     * end-of-input: expected close marker for Object}.
     */
    static String malformedJson(java.io.IOException e) {
        String message = e instanceof com.fasterxml.jackson.core.JacksonException j
                ? String.valueOf(j.getOriginalMessage())
                : "unreadable";
        message = message.lines()
                .findFirst()
                .orElse("")
                .replaceAll("\\s*\\(start marker at .*$", "")
                .replaceAll("\\s*(at )?\\[Source:.*$", "")
                .replaceAll("\\s*\\(class [^)]*\\)", "")
                .replaceAll("\\s*\\(for [A-Za-z.$]*\\)", "")
                .strip();
        if (message.length() > 200) {
            message = message.substring(0, 200) + "…";
        }
        com.fasterxml.jackson.core.JsonLocation at =
                e instanceof com.fasterxml.jackson.core.JacksonException j ? j.getLocation() : null;
        return "malformed JSON"
                + (at == null || at.getLineNr() < 1
                        ? ""
                        : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                + ": " + (message.isEmpty() ? "unreadable" : message);
    }

    /** The nested JSON of a config (what checkpoints and {@code GET /v1/runs/{id}} show). */
    public static ObjectNode write(RunConfig config) {
        return JSON.valueToTree(config);
    }

    /**
     * Sets one field of a config tree: {@code key} is a nested path ({@code sampling.temperature}, {@code task.maxDigits}),
     * a flat field of earlier versions ({@code temperature}), {@code taskParams.x} (= {@code task.x}) or {@code task}
     * (= {@code task.name}). Naming another task than the tree's drops the old task's parameters, so that
     * {@code --set task=jsonl} on an addition preset does not carry {@code maxDigits} into the dataset task.
     */
    public static void set(ObjectNode root, String key, JsonNode value) {
        String path = key.startsWith("taskParams.")
                ? "task." + key.substring("taskParams.".length())
                : namesTask(key) ? "task.name" : FLAT_FIELDS.getOrDefault(key, key);
        if (path.equals("task.name")) {
            JsonNode task = root.get("task");
            String current = task == null
                    ? null
                    : task.isTextual() ? task.asText() : task.path("name").asText(null);
            if (current == null || !current.equals(value.asText())) {
                root.putObject("task").set("name", value);
                return;
            }
        }
        ObjectNode node = root;
        String[] parts = path.split("\\.");
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (child != null && child.isTextual() && parts[i].equals("task")) {
                child = JsonNodeFactory.instance.objectNode().put("name", child.asText());
                node.set("task", child);
            } else if (child != null && child.isTextual() && parts[i].equals("model")) {
                child = JsonNodeFactory.instance.objectNode().put("source", child.asText());
                node.set("model", child);
            }
            node = child instanceof ObjectNode o ? o : node.putObject(parts[i]);
        }
        node.set(parts[parts.length - 1], value);
    }

    /** Whether an override key sets the task's name ({@code task}, {@code task.name}). */
    public static boolean namesTask(String key) {
        return key.equals("task") || key.equals("task.name");
    }

    /** Rewrites the flat fields of earlier versions into their sections; the tree is modified and returned. */
    static ObjectNode nest(ObjectNode root) {
        java.util.ArrayList<String> problems = new java.util.ArrayList<>();
        java.util.List<String> names = new java.util.ArrayList<>();
        root.fieldNames().forEachRemaining(names::add);
        for (String flat : names) {
            String path = FLAT_FIELDS.get(flat);
            if (path == null) {
                continue;
            }
            String[] parts = path.split("\\.");
            JsonNode section = root.get(parts[0]);
            if (section != null && !section.isObject()) {
                continue; // reported by the binder as a type error of the section
            }
            ObjectNode s = section == null ? root.putObject(parts[0]) : (ObjectNode) section;
            if (s.has(parts[1])) {
                problems.add(path + ": given twice, as \"" + flat + "\" and as \"" + path + "\"");
            }
            s.set(parts[1], root.remove(flat));
        }
        JsonNode task = root.get("task");
        JsonNode params = root.remove("taskParams");
        if (task != null && task.isTextual()) {
            task = JsonNodeFactory.instance.objectNode().put("name", task.asText());
            root.set("task", task);
        }
        if (params != null) {
            if (!params.isObject()) {
                problems.add("taskParams: must be an object, got "
                        + params.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
            } else {
                ObjectNode t = task instanceof ObjectNode o ? o : root.putObject("task");
                for (Map.Entry<String, JsonNode> e : iterable(params.fields())) {
                    if (t.has(e.getKey())) {
                        problems.add("task." + e.getKey() + ": given twice, in \"taskParams\" and in \"task\"");
                    }
                    t.set(e.getKey(), e.getValue());
                }
                task = t;
            }
        }
        if (task instanceof ObjectNode t && !t.has("name")) {
            t.put("name", DEFAULT_TASK);
        }
        if (!problems.isEmpty()) {
            throw InvalidRunConfigException.malformed(problems);
        }
        return root;
    }

    /**
     * Takes out every name that is not one of its set ({@code task.name}, {@code objective.lossMode},
     * {@code objective.oldLogprobs}) so that the rest can still be read and checked, and says what was wrong with each.
     * An unknown task takes its parameters with it: they belong to no known task.
     */
    private static List<String> removeUnknownNames(ObjectNode root) {
        List<String> problems = new java.util.ArrayList<>();
        if (root.get("task") instanceof ObjectNode task
                && task.get("name") != null
                && task.get("name").isTextual()
                && !TaskSpec.NAMES.contains(task.get("name").asText())) {
            problems.add("task.name: unknown task '" + task.get("name").asText() + "'; known tasks: "
                    + String.join(", ", TaskSpec.NAMES));
            root.remove("task");
        }
        if (root.get("objective") instanceof ObjectNode objective) {
            removeUnknown(objective, "lossMode", "objective.lossMode", LossMode::fromName, problems);
            removeUnknown(objective, "oldLogprobs", "objective.oldLogprobs", OldLogprobs::fromName, problems);
        }
        return problems;
    }

    private static void removeUnknown(
            ObjectNode section,
            String field,
            String path,
            java.util.function.Function<String, ?> parse,
            List<String> problems) {
        JsonNode value = section.get(field);
        if (value != null && value.isTextual()) {
            try {
                parse.apply(value.asText());
            } catch (IllegalArgumentException e) {
                problems.add(path + ": " + e.getMessage());
                section.remove(field);
            }
        }
    }

    /** One line naming the field (nested path) and what is wrong with it; never the parser's internals. */
    static String describe(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."))
                .replace(".[", "[");
        if (e instanceof UnrecognizedPropertyException u) {
            List<String> known = u.getKnownPropertyIds().stream()
                    .map(Object::toString)
                    .sorted()
                    .toList();
            return path + ": unknown field; known fields here: " + known;
        }
        if (e instanceof InvalidTypeIdException t && path.startsWith("rewards")) {
            return path + ".fn: "
                    + (t.getTypeId() == null ? "required" : "unknown reward function '" + t.getTypeId() + "'")
                    + "; known functions: " + String.join(", ", RewardSpec.FNS);
        }
        if (e instanceof InvalidTypeIdException t) {
            return (path.isEmpty() ? "task" : path) + ".name: unknown task '" + t.getTypeId() + "'; known tasks: "
                    + String.join(", ", TaskSpec.NAMES);
        }
        if (e instanceof ValueInstantiationException v && v.getCause() != null) {
            return path + ": " + v.getCause().getMessage();
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return path + ": expected " + typeName(m.getTargetType())
                    + (e.getOriginalMessage().contains("from") ? ", got a value of another type" : "");
        }
        return path + ": invalid value";
    }

    private static String typeName(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (java.util.Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        return "an object";
    }

    private static <T> Iterable<T> iterable(Iterator<T> it) {
        return () -> it;
    }
}
