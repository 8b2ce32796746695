package dev.gspo.common.reward;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.common.task.Task;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code {"fn": "format"}}: the whole response has the expected shape ({@link FormatReward}).
 *
 * @param pattern a Java regular expression the entire response must match, {@code .} matching newlines (default
 *                {@link FormatReward#THINK_THEN_ANSWER}: one think block, then an answer)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FormatRewardSpec(String name, Double weight, String pattern) implements LocalRewardSpec {
    public static final String FN = "format";

    @Override
    public String fn() {
        return FN;
    }

    @Override
    public FormatRewardSpec withDefaults(int maxNewTokens) {
        return new FormatRewardSpec(
                RewardChecks.or(name, FN),
                RewardChecks.or(weight, 1.0),
                RewardChecks.or(pattern, FormatReward.THINK_THEN_ANSWER));
    }

    @Override
    public List<String> problems(String path) {
        List<String> p = new ArrayList<>();
        if (pattern != null) {
            RewardChecks.pattern(p, path + ".pattern", pattern);
        }
        return p;
    }

    @Override
    public FormatReward create(Task task) {
        RewardChecks.requireValid(this);
        return new FormatReward(RewardChecks.or(pattern, FormatReward.THINK_THEN_ANSWER));
    }
}
