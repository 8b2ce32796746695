package dev.gspo.optimizer.reward;

import dev.gspo.common.reward.HttpRewardSpec;
import dev.gspo.common.reward.LocalRewardSpec;
import dev.gspo.common.reward.Reward;
import dev.gspo.common.reward.RewardMix;
import dev.gspo.common.reward.RewardSpec;
import dev.gspo.common.task.Task;
import java.util.ArrayList;
import java.util.List;

/** The reward of a run from its {@code rewards} section. */
public final class RunRewards {
    private RunRewards() {}

    /**
     * @param specs  the run's reward functions with defaults applied (null: the task's own reward)
     * @param task   the run's task ({@code fn: task} scores with it)
     * @param remote builds the clients of {@code http} functions
     */
    public static RewardMix build(List<RewardSpec> specs, Task task, RemoteRewards remote) {
        List<RewardMix.Term> terms = new ArrayList<>();
        for (RewardSpec spec : specs == null ? RewardSpec.defaults() : specs) {
            Reward reward =
                    switch (spec) {
                        case LocalRewardSpec local -> local.create(task);
                        case HttpRewardSpec http -> remote.client(http);
                    };
            terms.add(new RewardMix.Term(spec.name(), spec.weight(), reward));
        }
        return new RewardMix(terms);
    }
}
