package dev.gspo.common.reward;

import java.util.List;

/** A reward function that scores each response on its own; total and finite (see {@link Reward}). */
@FunctionalInterface
public interface SampleReward extends Reward {

    double score(RewardInput input);

    @Override
    default RewardScores score(List<RewardInput> inputs) {
        double[] scores = new double[inputs.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = score(inputs.get(i));
        }
        return RewardScores.of(scores);
    }
}
