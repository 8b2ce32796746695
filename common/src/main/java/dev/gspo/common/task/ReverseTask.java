package dev.gspo.common.task;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Word reversal: prompt {@code "rev abc="}, answer {@code "cba"}, ideal completion
 * {@code "cba\n"}; exact-match reward ({@link ExactMatchReward}).
 *
 * <p>Why this task: it is pure copying with re-ordering, which attention learns from positions
 * alone, so a tiny character-level transformer gets part of it right early and GSPO has a
 * graded signal to improve (unlike tasks it cannot learn at all). Words are random strings over
 * a–z with a length uniform in {@code [minLength, maxLength]}; one word in 16 (by
 * {@link StableHash#of} of the word) is held out of training.
 */
public final class ReverseTask implements Task {

    public static final String NAME = "reverse";
    public static final int MAX_LENGTH = 16;
    /** Prompt = {@code PREFIX + word + "="}. */
    public static final String PREFIX = "rev ";

    private final int minLength;
    private final int maxLength;
    private final HashSplit<String> split;
    private final List<TaskExample> heldOut;

    /**
     * @param minLength   shortest word, ≥ 1
     * @param maxLength   longest word, ≤ {@value #MAX_LENGTH}
     * @param heldOutSize size of the evaluation set (smaller if the space has fewer held-out words)
     */
    public ReverseTask(int minLength, int maxLength, int heldOutSize) {
        if (minLength < 1 || maxLength > MAX_LENGTH || minLength > maxLength) {
            throw new IllegalArgumentException("need 1 <= minLength <= maxLength <= " + MAX_LENGTH + ", got minLength="
                    + minLength + ", maxLength=" + maxLength);
        }
        if (heldOutSize < 0) {
            throw new IllegalArgumentException("heldOutSize must be >= 0, got " + heldOutSize);
        }
        this.minLength = minLength;
        this.maxLength = maxLength;
        this.split = new HashSplit<>(this::draw, StableHash::of, ReverseTask::example);
        this.heldOut = split.heldOut(heldOutSize);
    }

    @Override
    public String name() {
        return NAME;
    }

    public int minLength() {
        return minLength;
    }

    public int maxLength() {
        return maxLength;
    }

    @Override
    public List<TaskExample> sample(int n, RandomGenerator rng) {
        return split.training(n, rng);
    }

    @Override
    public List<TaskExample> heldOut() {
        return heldOut;
    }

    @Override
    public RewardFunction rewardFunction() {
        return ExactMatchReward.INSTANCE;
    }

    /** Whether {@code word} belongs to the held-out partition. */
    public boolean isHeldOut(String word) {
        return split.isHeldOut(word);
    }

    private String draw(RandomGenerator rng) {
        int length = rng.nextInt(minLength, maxLength + 1);
        char[] word = new char[length];
        for (int i = 0; i < length; i++) {
            word[i] = (char) ('a' + rng.nextInt(26));
        }
        return new String(word);
    }

    private static TaskExample example(String word) {
        return new TaskExample(
                NAME + ":" + word,
                PREFIX + word + "=",
                new StringBuilder(word).reverse().toString());
    }
}
