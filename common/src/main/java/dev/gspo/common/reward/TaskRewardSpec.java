package dev.gspo.common.reward;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.common.task.Task;

/** {@code {"fn": "task"}}: the task's own reward ({@link TaskReward}); the default when a run has no rewards. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskRewardSpec(String name, Double weight) implements LocalRewardSpec {
    public static final String FN = "task";

    @Override
    public String fn() {
        return FN;
    }

    @Override
    public TaskRewardSpec withDefaults(int maxNewTokens) {
        return new TaskRewardSpec(RewardChecks.or(name, FN), RewardChecks.or(weight, 1.0));
    }

    @Override
    public TaskReward create(Task task) {
        return TaskReward.of(task);
    }
}
