package dev.gspo.common.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code {"name": "jsonl", "path": "…"}}: a dataset of {@code {"prompt": …, "answer": …}} lines, or of chat
 * {@code {"messages": […], "answer": …}} lines ({@link JsonlExamples}).
 *
 * @param path            the dataset file (required)
 * @param heldOutPath     a separate held-out file; or
 * @param heldOutFraction the share of {@code path} held out, in [0, {@value #MAX_HELD_OUT_FRACTION}] (default 0: no
 *                        held-out set)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JsonlSpec(String path, String heldOutPath, Double heldOutFraction) implements TaskSpec {
    public static final double MAX_HELD_OUT_FRACTION = 0.5;

    @Override
    public String name() {
        return JsonlTask.NAME;
    }

    @Override
    public JsonlSpec withDefaults() {
        return new JsonlSpec(
                path,
                heldOutPath,
                heldOutFraction == null && heldOutPath == null ? Double.valueOf(0) : heldOutFraction);
    }

    @Override
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (path == null || path.isBlank()) {
            p.add("task.path: required for task 'jsonl'");
        }
        if (heldOutPath != null && heldOutFraction != null && heldOutFraction != 0) {
            p.add("task.heldOutFraction: give either task.heldOutPath or task.heldOutFraction, not both");
        }
        if (heldOutFraction != null
                && (!Double.isFinite(heldOutFraction)
                        || heldOutFraction < 0
                        || heldOutFraction > MAX_HELD_OUT_FRACTION)) {
            p.add("task.heldOutFraction: must be in [0, " + MAX_HELD_OUT_FRACTION + "], got " + heldOutFraction);
        }
        return p;
    }

    /** A dataset's responses end at the model's EOS only: they may run over several lines. */
    @Override
    public List<String> defaultStop() {
        return List.of();
    }

    @Override
    public JsonlTask create() {
        JsonlSpec s = withDefaults();
        SpecChecks.requireValid(s);
        try {
            return s.heldOutPath != null
                    ? JsonlTask.load(Path.of(s.path), Path.of(s.heldOutPath))
                    : JsonlTask.load(Path.of(s.path), s.heldOutFraction);
        } catch (IOException e) {
            throw new UncheckedIOException("task 'jsonl': cannot read " + e.getMessage(), e);
        }
    }
}
