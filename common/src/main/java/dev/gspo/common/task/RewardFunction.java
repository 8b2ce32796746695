package dev.gspo.common.task;

/**
 * Scores a completion against a reference answer.
 *
 * <p>Contract: total. For every {@code completion} (including {@code null}, empty, non-ASCII,
 * megabytes long) it returns a finite number and never throws.
 */
@FunctionalInterface
public interface RewardFunction {

    double score(String completion, String answer);

    /** The part of {@code completion} before the first {@link Task#STOP}; {@code ""} for null. */
    static String untilStop(String completion) {
        if (completion == null) {
            return "";
        }
        int stop = completion.indexOf(Task.STOP);
        return stop < 0 ? completion : completion.substring(0, stop);
    }
}
