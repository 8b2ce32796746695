package dev.gspo.common.task;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.random.RandomGenerator;

/**
 * Splits a generated problem space into training and held-out problems by a fixed hash rule, so
 * that the evaluation set is disjoint from every training draw without storing anything.
 *
 * <p>Rule: a problem is held out iff {@code Long.remainderUnsigned(key, 16) == 0}, where the key is
 * a {@link StableHash} of the problem (one problem in 16). Training draws reject held-out problems
 * and draw again; the held-out set is drawn with the same generator from a fixed seed, keeping only
 * held-out problems, without duplicates. Both depend only on the configuration, never on the JVM.
 *
 * @param <P> the problem, e.g. a pair of operands
 */
final class HashSplit<P> {

    /** One problem in this many is held out. */
    static final int HELD_OUT_ONE_IN = 16;
    /** Seed of the held-out draw: changing it changes every evaluation set. */
    static final long HELD_OUT_SEED = 0x6A09E667F3BCC908L;
    /** Training draws give up after this many held-out rejections in a row (a degenerate space). */
    private static final int MAX_REJECTIONS = 10_000;

    private final Function<RandomGenerator, P> draw;
    private final ToLongFunction<P> key;
    private final Function<P, TaskExample> toExample;

    HashSplit(Function<RandomGenerator, P> draw, ToLongFunction<P> key, Function<P, TaskExample> toExample) {
        this.draw = draw;
        this.key = key;
        this.toExample = toExample;
    }

    boolean isHeldOut(P problem) {
        return Long.remainderUnsigned(key.applyAsLong(problem), HELD_OUT_ONE_IN) == 0;
    }

    /** {@code n} training problems drawn with {@code rng}, none held out. */
    List<TaskExample> training(int n, RandomGenerator rng) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        List<TaskExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(toExample.apply(drawTraining(rng)));
        }
        return List.copyOf(out);
    }

    private P drawTraining(RandomGenerator rng) {
        for (int attempt = 0; attempt < MAX_REJECTIONS; attempt++) {
            P problem = draw.apply(rng);
            if (!isHeldOut(problem)) {
                return problem;
            }
        }
        throw new IllegalStateException("every drawn problem is held out; the problem space is too small");
    }

    /**
     * Up to {@code size} distinct held-out problems (fewer when the space has fewer), in draw order.
     */
    List<TaskExample> heldOut(int size) {
        SplittableRandom rng = new SplittableRandom(HELD_OUT_SEED);
        Map<String, TaskExample> byId = new LinkedHashMap<>();
        long budget = (long) size * HELD_OUT_ONE_IN * 64 + 10_000;
        for (long attempt = 0; attempt < budget && byId.size() < size; attempt++) {
            P problem = draw.apply(rng);
            if (isHeldOut(problem)) {
                TaskExample example = toExample.apply(problem);
                byId.putIfAbsent(example.id(), example);
            }
        }
        return List.copyOf(byId.values());
    }
}
