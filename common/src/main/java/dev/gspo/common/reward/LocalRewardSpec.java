package dev.gspo.common.reward;

import dev.gspo.common.task.Task;

/** A built-in reward function's spec: it builds its function here, in the process. */
public sealed interface LocalRewardSpec extends RewardSpec
        permits TaskRewardSpec,
                ExactRewardSpec,
                MathRewardSpec,
                RegexRewardSpec,
                ChoiceRewardSpec,
                FormatRewardSpec,
                LengthRewardSpec {

    /**
     * Builds the function of a spec with defaults applied.
     *
     * @param task the run's task ({@code task} scores with its reward)
     * @throws IllegalArgumentException if {@link #problems} is not empty
     */
    SampleReward create(Task task);
}
