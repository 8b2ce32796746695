package dev.gspo.common.reward;

import dev.gspo.common.task.RewardFunction;
import dev.gspo.common.task.Task;

/**
 * {@code task}: the task's own reward, what every run used before rewards became configurable and what a run without
 * a {@code rewards} section still uses. For {@code addition} and {@code reverse}: 1 if the response's first line,
 * stripped, equals the answer; for {@code jsonl}: the same after normalising case, spaces and trailing periods
 * ({@link ExactReward} with {@code normalize}); else 0.
 */
public record TaskReward(RewardFunction function) implements SampleReward {

    public static TaskReward of(Task task) {
        return new TaskReward(task.rewardFunction());
    }

    @Override
    public double score(RewardInput input) {
        return function.score(input.response(), input.answer());
    }
}
