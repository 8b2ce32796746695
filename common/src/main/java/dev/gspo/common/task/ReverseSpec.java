package dev.gspo.common.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code {"name": "reverse"}}: reverse a word of {@code minLength}..{@code maxLength} letters.
 *
 * @param minLength   shortest word (default 3)
 * @param maxLength   longest word (default 5, at most {@value ReverseTask#MAX_LENGTH})
 * @param heldOutSize held-out words (default {@value AdditionSpec#DEFAULT_HELD_OUT_SIZE}, at most
 *                    {@value TaskSpec#MAX_HELD_OUT_SIZE})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ReverseSpec(Integer minLength, Integer maxLength, Integer heldOutSize) implements TaskSpec {

    @Override
    public String name() {
        return ReverseTask.NAME;
    }

    @Override
    public ReverseSpec withDefaults() {
        return new ReverseSpec(
                minLength == null ? 3 : minLength,
                maxLength == null ? 5 : maxLength,
                heldOutSize == null ? AdditionSpec.DEFAULT_HELD_OUT_SIZE : heldOutSize);
    }

    @Override
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        SpecChecks.between(p, "minLength", minLength, 1, ReverseTask.MAX_LENGTH);
        SpecChecks.between(p, "maxLength", maxLength, 1, ReverseTask.MAX_LENGTH);
        SpecChecks.ordered(p, "minLength", minLength, "maxLength", maxLength);
        SpecChecks.between(p, "heldOutSize", heldOutSize, 0, MAX_HELD_OUT_SIZE);
        return p;
    }

    @Override
    public ReverseTask create() {
        ReverseSpec s = withDefaults();
        SpecChecks.requireValid(s);
        return new ReverseTask(s.minLength, s.maxLength, s.heldOutSize);
    }
}
