package dev.gspo.common.task;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * The typed configuration of a task, as a run config names it: {@code "task": {"name": "addition", "minDigits": 2}}.
 * Each task has its own record with its own parameters; a missing parameter takes the default its record documents.
 *
 * <p>Validation is separate from creation so that a request is refused before any work is done: {@link #problems()}
 * checks every bound without touching a file or drawing an example (each bound keeps one config from asking for
 * unbounded work: a held-out set of 3 million problems took 10 s and 1.9 GB before the bounds existed), and only
 * {@link #create()} builds the task.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "name")
@JsonSubTypes({
    @JsonSubTypes.Type(value = AdditionSpec.class, name = AdditionTask.NAME),
    @JsonSubTypes.Type(value = ReverseSpec.class, name = ReverseTask.NAME),
    @JsonSubTypes.Type(value = JsonlSpec.class, name = JsonlTask.NAME)
})
public sealed interface TaskSpec permits AdditionSpec, ReverseSpec, JsonlSpec {

    /** The most held-out examples a built-in task may be asked for. */
    int MAX_HELD_OUT_SIZE = 10_000;

    /** The registered task names. */
    List<String> NAMES = List.of(AdditionTask.NAME, ReverseTask.NAME, JsonlTask.NAME);

    /** The task's name, as in {@code "name"}. */
    @JsonIgnore
    String name();

    /** The same spec with every missing parameter set to its default. */
    TaskSpec withDefaults();

    /** Problems of a spec with defaults applied, as "task.field: what is wrong"; empty when valid. */
    List<String> problems();

    /**
     * Builds the task (reads dataset files).
     *
     * @throws IllegalArgumentException     if {@link #problems()} is not empty
     * @throws java.io.UncheckedIOException if a dataset file cannot be read
     */
    Task create();

    /**
     * The stop strings a run of this task samples with when its config names none ({@code sampling.stop}): the
     * built-in tasks answer on one line and keep their newline ({@link Task#STOP}); a dataset's responses end at the
     * model's EOS only (an empty list), so that they may reason over several lines first. The EOS ends a response in
     * either case.
     */
    @JsonIgnore
    default List<String> defaultStop() {
        return List.of(Task.STOP);
    }

    /** The default task: addition with its own defaults. */
    static TaskSpec defaults() {
        return new AdditionSpec(null, null, null).withDefaults();
    }
}
