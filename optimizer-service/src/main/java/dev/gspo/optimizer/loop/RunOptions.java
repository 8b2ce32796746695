package dev.gspo.optimizer.loop;

import dev.gspo.common.task.Task;
import dev.gspo.optimizer.reward.RemoteRewards;
import dev.gspo.optimizer.runconfig.RunConfig;
import java.util.Map;

/**
 * What a run gets besides its config: the task, already created (and its files read) while the run was prepared, and
 * how many checkpoints to keep.
 *
 * @param checkpointKeepLast the newest checkpoints kept; 0 = all (the one just written is never deleted)
 * @param checkpointKeepBest with a limit, also keep the checkpoint with the best held-out accuracy
 * @param heldOutByStep      held-out accuracy of earlier steps (a resumed run's history), to find the best one
 * @param remoteRewards      builds the clients of the config's {@code http} reward functions
 */
public record RunOptions(
        Task task,
        int checkpointKeepLast,
        boolean checkpointKeepBest,
        Map<Long, Double> heldOutByStep,
        RemoteRewards remoteRewards) {
    public RunOptions {
        heldOutByStep = Map.copyOf(heldOutByStep);
    }

    /** The task created from the config, every checkpoint kept, no remote reward server. */
    public static RunOptions of(RunConfig config) {
        return new RunOptions(config.task().create(), 0, false, Map.of(), RemoteRewards.unavailable());
    }
}
