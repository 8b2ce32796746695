package dev.gspo.common.task;

/**
 * 1 if the completion up to the first stop marker, without surrounding whitespace, equals the
 * answer exactly; else 0.
 *
 * <p>Used by the synthetic tasks, whose answers are canonical ({@code "46"}, not {@code "046"}),
 * so anything but the exact string is wrong. Surrounding whitespace is forgiven because the
 * rollout may or may not strip the stop marker, and a leading space carries no error.
 */
public enum ExactMatchReward implements RewardFunction {
    INSTANCE;

    @Override
    public double score(String completion, String answer) {
        if (answer == null) {
            return 0.0;
        }
        return RewardFunction.untilStop(completion).strip().equals(answer) ? 1.0 : 0.0;
    }
}
