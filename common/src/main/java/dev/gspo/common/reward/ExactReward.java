package dev.gspo.common.reward;

import dev.gspo.common.task.ExactMatchReward;
import dev.gspo.common.task.NormalizedExactMatchReward;

/**
 * {@code exact}: 1 if the response's first line matches the answer, else 0.
 *
 * <p>With {@code normalize} (the default) both sides are first lower-cased, every run of whitespace collapsed to one
 * space, trimmed and stripped of trailing periods ({@link NormalizedExactMatchReward#normalize}): {@code " Paris. "}
 * matches {@code "paris"}; {@code "3.14"} keeps its inner period. Without it only surrounding whitespace is forgiven
 * ({@link ExactMatchReward}): {@code "46"} matches {@code "46"}, {@code "46."} does not.
 *
 * @param normalize compare normalised text (true) or the stripped text as is (false)
 */
public record ExactReward(boolean normalize) implements SampleReward {

    @Override
    public double score(RewardInput input) {
        return normalize
                ? NormalizedExactMatchReward.INSTANCE.score(input.response(), input.answer())
                : ExactMatchReward.INSTANCE.score(input.response(), input.answer());
    }
}
