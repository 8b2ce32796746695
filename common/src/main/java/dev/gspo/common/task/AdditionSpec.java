package dev.gspo.common.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code {"name": "addition"}}: a + b with operands of {@code minDigits}..{@code maxDigits} digits.
 *
 * @param minDigits   fewest digits of an operand (default 1)
 * @param maxDigits   most digits of an operand (default 2, at most {@value AdditionTask#MAX_DIGITS})
 * @param heldOutSize held-out problems for the accuracy curve (default {@value #DEFAULT_HELD_OUT_SIZE}, at most
 *                    {@value TaskSpec#MAX_HELD_OUT_SIZE})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AdditionSpec(Integer minDigits, Integer maxDigits, Integer heldOutSize) implements TaskSpec {
    public static final int DEFAULT_HELD_OUT_SIZE = 200;

    @Override
    public String name() {
        return AdditionTask.NAME;
    }

    @Override
    public AdditionSpec withDefaults() {
        return new AdditionSpec(
                minDigits == null ? 1 : minDigits,
                maxDigits == null ? 2 : maxDigits,
                heldOutSize == null ? DEFAULT_HELD_OUT_SIZE : heldOutSize);
    }

    @Override
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        SpecChecks.between(p, "minDigits", minDigits, 1, AdditionTask.MAX_DIGITS);
        SpecChecks.between(p, "maxDigits", maxDigits, 1, AdditionTask.MAX_DIGITS);
        SpecChecks.ordered(p, "minDigits", minDigits, "maxDigits", maxDigits);
        SpecChecks.between(p, "heldOutSize", heldOutSize, 0, MAX_HELD_OUT_SIZE);
        return p;
    }

    @Override
    public AdditionTask create() {
        AdditionSpec s = withDefaults();
        SpecChecks.requireValid(s);
        return new AdditionTask(s.minDigits, s.maxDigits, s.heldOutSize);
    }
}
