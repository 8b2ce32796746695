package dev.gspo.common.model;

/**
 * The fused decode weights ({@link DecodeWeights}) of one served weight version, built on first use and kept for the
 * version's life, so that a decode batch or request on that version does not rebuild them (≈ 38 MB of copies for the
 * 25M model, and per-call native allocations).
 *
 * <p><b>Only for weights that never change in place.</b> The fused arrays are copies of the weights at the time of
 * the first {@link #get}; whoever owns the version must {@link #close} this together with it (before its storage is
 * freed or handed on to be refilled by a later push), and must not use it for weights a trainer updates in place
 * (those decode with per-call fused weights: {@code BatchGenerator}'s default). A new version gets a new instance, so
 * it can never see an older version's fused weights: the cache is tied to the version object, not to its storage,
 * which a replica may reuse for a later version.
 *
 * <p>Thread-safe: the first caller builds, later callers get the same instance until {@link #close}.
 */
public final class VersionDecodeWeights implements AutoCloseable {
    private final PolicyModel model;
    private DecodeWeights fused;
    private boolean closed;

    /** @param model the version's model; its weights must not change in place while this is open */
    public VersionDecodeWeights(PolicyModel model) {
        this.model = model;
    }

    /**
     * The version's fused decode weights (built now if this is the first call); valid until {@link #close}.
     *
     * @throws IllegalStateException if this version's fused weights were already freed
     */
    public synchronized DecodeWeights get() {
        if (closed) {
            throw new IllegalStateException("the fused decode weights of this version were freed with it");
        }
        if (fused == null) {
            fused = model.transformer().decodeWeights(model.weights().manager());
        }
        return fused;
    }

    /** Whether {@link #get} has built the fused weights and they are not freed yet. */
    public synchronized boolean built() {
        return fused != null;
    }

    /** Frees the fused weights (if built); {@link #get} fails from now on. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (fused != null) {
            fused.close();
            fused = null;
        }
    }
}
