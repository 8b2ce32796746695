package dev.gspo.common.task;

import java.util.Objects;

/**
 * One problem of a task.
 *
 * @param id     identifies the problem, not the draw: two draws of the same problem share an id
 *               (e.g. {@code addition:12+34}); make ids unique per request yourself if needed
 * @param prompt the text the policy continues, e.g. {@code "12+34="}
 * @param answer the reference answer without the stop marker, e.g. {@code "46"}
 */
public record TaskExample(String id, String prompt, String answer) {
    public TaskExample {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(answer, "answer");
    }
}
