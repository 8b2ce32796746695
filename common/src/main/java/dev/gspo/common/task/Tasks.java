package dev.gspo.common.task;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Creates tasks by name, for run configurations: {@code {"task": "addition", "taskParams": {...}}}.
 *
 * <table>
 *   <caption>Tasks and their parameters (default)</caption>
 *   <tr><th>name</th><th>parameters</th></tr>
 *   <tr><td>{@code addition}</td><td>{@code minDigits} (1), {@code maxDigits} (2), {@code heldOutSize} (200)</td></tr>
 *   <tr><td>{@code reverse}</td><td>{@code minLength} (3), {@code maxLength} (5), {@code heldOutSize} (200)</td></tr>
 *   <tr><td>{@code jsonl}</td><td>{@code path} (required), and either {@code heldOutPath} or
 *       {@code heldOutFraction} (0: no held-out set)</td></tr>
 * </table>
 * Parameter values may be numbers or strings. Unknown names and unknown parameters are errors
 * that name the offender and the known ones.
 */
public final class Tasks {

    public static final int DEFAULT_HELD_OUT_SIZE = 200;

    private static final Map<String, Function<TaskParameters, Task>> FACTORIES = new LinkedHashMap<>();

    static {
        FACTORIES.put(AdditionTask.NAME, p -> {
            p.allowOnly(Set.of("minDigits", "maxDigits", "heldOutSize"));
            return new AdditionTask(
                    p.intValue("minDigits", 1),
                    p.intValue("maxDigits", 2),
                    p.intValue("heldOutSize", DEFAULT_HELD_OUT_SIZE));
        });
        FACTORIES.put(ReverseTask.NAME, p -> {
            p.allowOnly(Set.of("minLength", "maxLength", "heldOutSize"));
            return new ReverseTask(
                    p.intValue("minLength", 3),
                    p.intValue("maxLength", 5),
                    p.intValue("heldOutSize", DEFAULT_HELD_OUT_SIZE));
        });
        FACTORIES.put(JsonlTask.NAME, p -> {
            p.allowOnly(Set.of("path", "heldOutPath", "heldOutFraction"));
            Path path = Path.of(p.requiredString("path"));
            try {
                if (p.has("heldOutPath")) {
                    if (p.has("heldOutFraction")) {
                        throw new IllegalArgumentException(
                                "task 'jsonl': give either 'heldOutPath' or 'heldOutFraction', not both");
                    }
                    return JsonlTask.load(path, Path.of(p.requiredString("heldOutPath")));
                }
                return JsonlTask.load(path, p.doubleValue("heldOutFraction", 0.0));
            } catch (IOException e) {
                throw new UncheckedIOException("task 'jsonl': cannot read " + e.getMessage(), e);
            }
        });
    }

    private Tasks() {}

    /** The registered task names. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(FACTORIES.keySet());
    }

    /**
     * The task {@code name} configured by {@code parameters} (null or empty: defaults).
     *
     * @throws IllegalArgumentException for an unknown name or an invalid parameter
     * @throws UncheckedIOException     if a dataset file cannot be read
     */
    public static Task create(String name, Map<String, ?> parameters) {
        Function<TaskParameters, Task> factory = name == null ? null : FACTORIES.get(name);
        if (factory == null) {
            throw new IllegalArgumentException("unknown task '" + name + "'; known tasks: " + names());
        }
        return factory.apply(new TaskParameters(name, parameters));
    }
}
