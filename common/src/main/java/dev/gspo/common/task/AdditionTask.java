package dev.gspo.common.task;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Integer addition: prompt {@code "12+34="}, answer {@code "46"}, ideal completion
 * {@code "46\n"}; exact-match reward ({@link ExactMatchReward}).
 *
 * <p>Each operand independently gets a digit count uniform in {@code [minDigits, maxDigits]}, then a
 * value uniform over the numbers with exactly that many digits (one digit: 0–9, no leading zeros).
 * The held-out set is the unordered pairs {a, b} whose {@link StableHash#ofUnorderedPair} falls in
 * the held-out bucket ({@link HashSplit}): neither {@code a+b} nor {@code b+a} is ever trained on,
 * whatever the digit configuration.
 */
public final class AdditionTask implements Task {

    public static final String NAME = "addition";
    /** Sums of two 18-digit numbers still fit in a {@code long}. */
    public static final int MAX_DIGITS = 18;

    private final int minDigits;
    private final int maxDigits;
    private final HashSplit<Operands> split;
    private final List<TaskExample> heldOut;

    private record Operands(long a, long b) {}

    /**
     * @param minDigits   fewest digits of an operand, ≥ 1
     * @param maxDigits   most digits of an operand, ≤ {@value #MAX_DIGITS}
     * @param heldOutSize size of the evaluation set (smaller if the space has fewer held-out pairs)
     */
    public AdditionTask(int minDigits, int maxDigits, int heldOutSize) {
        if (minDigits < 1 || maxDigits > MAX_DIGITS || minDigits > maxDigits) {
            throw new IllegalArgumentException("need 1 <= minDigits <= maxDigits <= " + MAX_DIGITS + ", got minDigits="
                    + minDigits + ", maxDigits=" + maxDigits);
        }
        if (heldOutSize < 0) {
            throw new IllegalArgumentException("heldOutSize must be >= 0, got " + heldOutSize);
        }
        this.minDigits = minDigits;
        this.maxDigits = maxDigits;
        this.split = new HashSplit<>(this::draw, o -> StableHash.ofUnorderedPair(o.a, o.b), AdditionTask::example);
        this.heldOut = split.heldOut(heldOutSize);
    }

    @Override
    public String name() {
        return NAME;
    }

    public int minDigits() {
        return minDigits;
    }

    public int maxDigits() {
        return maxDigits;
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

    /** Whether {@code a+b} (or {@code b+a}) belongs to the held-out partition. */
    public boolean isHeldOut(long a, long b) {
        return split.isHeldOut(new Operands(a, b));
    }

    private Operands draw(RandomGenerator rng) {
        return new Operands(operand(rng), operand(rng));
    }

    private long operand(RandomGenerator rng) {
        int digits = rng.nextInt(minDigits, maxDigits + 1);
        long lo = digits == 1 ? 0 : pow10(digits - 1);
        return rng.nextLong(lo, pow10(digits));
    }

    private static long pow10(int e) {
        long p = 1;
        for (int i = 0; i < e; i++) {
            p *= 10;
        }
        return p;
    }

    private static TaskExample example(Operands o) {
        String prompt = o.a + "+" + o.b + "=";
        return new TaskExample(NAME + ":" + o.a + "+" + o.b, prompt, Long.toString(o.a + o.b));
    }
}
