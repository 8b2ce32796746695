package dev.gspo.rollout.weights;

import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.tokenizer.PolicyTokenizer;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The policy version this replica serves, and the only place it changes.
 *
 * <p>Readers take the current version without locking ({@link #current()} for metadata, {@link #acquire()} to run
 * the model). {@link #swap} builds the next version completely, publishes it with one reference write, then drops
 * the registry's reference to the old one, which is closed when its last batch releases it.
 */
public final class PolicyRegistry implements AutoCloseable {
    private final AtomicReference<ServedPolicy> current;
    private final PolicyTokenizer tokenizer;
    private final Object swapLock = new Object();
    private volatile BaseChangeGuard guard = BaseChangeGuard.NONE;

    PolicyRegistry(ServedPolicy initial) {
        this.current = new AtomicReference<>(initial);
        this.tokenizer = initial.model().tokenizer();
    }

    public ServedPolicy current() {
        return current.get();
    }

    /** A reference to the current version that keeps its weights open until the lease is closed. */
    public PolicyLease acquire() {
        while (true) {
            ServedPolicy p = current.get();
            if (p.retain()) {
                return new PolicyLease(p);
            }
            // p was retired between the read and retain: a swap published its successor, read again
        }
    }

    /**
     * Replaces the current version by {@code build(current model)} if {@code version} is newer. Swaps are serialised;
     * if {@code build} throws, nothing changes.
     *
     * @throws StaleVersionException if {@code version} is not ahead of the current one
     */
    public ServedPolicy swap(long version, Function<PolicyModel, ServedPolicy> build) {
        synchronized (swapLock) {
            ServedPolicy old = current.get();
            // checked again under the lock: the controller's early check ran before the body was read and verified,
            // so concurrent pushes of the same or older versions can all pass it (ConcurrentPushIT races them)
            requireNewer(version, old);
            guard.check(); // under the lock: nothing built on the current weights appears meanwhile
            ServedPolicy next = build.apply(old.model());
            current.set(next);
            old.release();
            return next;
        }
    }

    /** As {@link #swap}, with {@code build} seeing the whole served version (an adapter needs its base). */
    public ServedPolicy swapServed(long version, Function<ServedPolicy, ServedPolicy> build) {
        synchronized (swapLock) {
            ServedPolicy old = current.get();
            requireNewer(version, old);
            guard.check();
            ServedPolicy next = build.apply(old);
            current.set(next);
            old.release();
            return next;
        }
    }

    /** Who may refuse a change of the served weights ({@link #swap}, {@link #swapServed}); set once at start-up. */
    public void guardBaseChanges(BaseChangeGuard guard) {
        this.guard = guard;
    }

    /** Fails fast, before a push body is read, when the served weights must not change now. */
    public void checkBaseChange() {
        guard.check();
    }

    /**
     * Runs {@code action} on the current version under the swap lock: no swap happens meanwhile, so whatever it builds
     * on the current weights (a named adapter) is consistent with them, and a swap's guard sees its outcome.
     */
    public <T> T withCurrent(Function<ServedPolicy, T> action) {
        synchronized (swapLock) {
            return action.apply(current.get());
        }
    }

    /** Fails fast, before a push body is read, when its version cannot be installed. */
    public void requireNewer(long version) {
        requireNewer(version, current.get());
    }

    private static void requireNewer(long version, ServedPolicy current) {
        if (version <= current.version()) {
            throw new StaleVersionException(version, current.version());
        }
    }

    /** Drops the registry's reference to the current version and closes the tokenizer all versions share. */
    @Override
    public void close() {
        current.get().release();
        tokenizer.close();
    }
}
