package dev.gspo.common.reward;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.common.task.Task;

/** {@code {"fn": "math"}}: the final answer of free text equals the reference as a number ({@link MathReward}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MathRewardSpec(String name, Double weight) implements LocalRewardSpec {
    public static final String FN = "math";

    @Override
    public String fn() {
        return FN;
    }

    @Override
    public MathRewardSpec withDefaults(int maxNewTokens) {
        return new MathRewardSpec(RewardChecks.or(name, FN), RewardChecks.or(weight, 1.0));
    }

    @Override
    public MathReward create(Task task) {
        return MathReward.INSTANCE;
    }
}
