package dev.gspo.common.reward;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.common.task.Task;

/**
 * {@code {"fn": "exact"}}: the first line matches the answer ({@link ExactReward}).
 *
 * @param normalize compare after normalising case, spaces and trailing periods (default true)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ExactRewardSpec(String name, Double weight, Boolean normalize) implements LocalRewardSpec {
    public static final String FN = "exact";

    @Override
    public String fn() {
        return FN;
    }

    @Override
    public ExactRewardSpec withDefaults(int maxNewTokens) {
        return new ExactRewardSpec(
                RewardChecks.or(name, FN), RewardChecks.or(weight, 1.0), RewardChecks.or(normalize, true));
    }

    @Override
    public ExactReward create(Task task) {
        return new ExactReward(RewardChecks.or(normalize, true));
    }
}
