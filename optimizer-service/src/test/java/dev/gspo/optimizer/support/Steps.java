package dev.gspo.optimizer.support;

import dev.gspo.optimizer.loop.StepMetrics;
import java.util.Map;

/** Step metrics for tests that look only at the reward: every other measure is a plain, finite placeholder. */
public final class Steps {
    private Steps() {}

    public static StepMetrics withRewards(long step, double rewardMean, Map<String, Double> rewards) {
        return new StepMetrics(
                step,
                10,
                "gspo",
                step + 1,
                rewardMean,
                0.1,
                0.5,
                Double.NaN,
                0.01,
                1,
                0,
                0,
                0,
                0,
                0,
                0,
                1,
                1,
                1,
                0,
                1,
                0,
                0,
                0,
                3,
                100,
                100,
                0,
                0,
                0.1,
                0.1,
                0.1,
                0.3,
                Double.NaN,
                rewards,
                0,
                0,
                0);
    }
}
