package dev.gspo.common.replica;

import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.PolicyWeights;

/**
 * One slot for the native storage of a weight version that nothing uses any more, so that the next full push fills
 * it ({@link WeightInstall}) instead of allocating and page-faulting ~100 MB of fresh memory.
 *
 * <p><b>Safety.</b> {@link #retire} must be called only once the version's last reference is gone: on a replica, by
 * the reference count of the served version (the registry's reference and one per decode batch), when it reaches
 * zero, after which no reference can be taken any more. A version a decode batch still holds is therefore never in
 * the slot, and its storage is never overwritten. {@link #take} hands the storage over to exactly one caller.
 *
 * <p>The slot keeps at most one retired set (the newest; an older one is closed), so a replica holds at most one
 * version's storage more than it serves. Thread-safe: versions retire on whichever thread releases them last.
 */
public final class RetiredWeights implements AutoCloseable {
    private PolicyWeights spare;
    private boolean closed;
    private long retired;
    private long taken;

    /**
     * Closes {@code model} except for its weights, which go into the slot (an older spare set is closed). The caller
     * must hold the model's last reference; after this call the model must not be used.
     */
    public void retire(PolicyModel model) {
        putBack(model.closeExceptWeights());
    }

    /**
     * Puts storage taken from the slot and not used back into it (a fill that found a non-finite value hands it back:
     * {@link dev.gspo.common.model.NonFiniteWeightsException#takeRetired}), as {@link #retire} puts a version's:
     * counted as retired, an older spare set closed. Null is ignored. The caller hands {@code weights} over.
     */
    public void putBack(PolicyWeights weights) {
        if (weights == null) {
            return;
        }
        PolicyWeights older;
        synchronized (this) {
            if (closed) {
                older = weights;
            } else {
                older = spare;
                spare = weights;
                retired++;
            }
        }
        if (older != null) {
            older.close();
        }
    }

    /** The spare storage, handed over to the caller (who must fill or close it), or null if there is none. */
    public synchronized PolicyWeights take() {
        PolicyWeights out = spare;
        spare = null;
        if (out != null) {
            taken++;
        }
        return out;
    }

    /**
     * How many times storage went into the slot (a retired version's, or storage {@linkplain #putBack put back}
     * unused), and how many times it was taken out to be refilled.
     */
    public synchronized long[] counts() {
        return new long[] {retired, taken};
    }

    /** Frees the spare storage; versions retired afterwards are closed at once. */
    @Override
    public void close() {
        PolicyWeights out;
        synchronized (this) {
            closed = true;
            out = spare;
            spare = null;
        }
        if (out != null) {
            out.close();
        }
    }
}
