package dev.gspo.rollout.adapters;

import dev.gspo.common.model.DecodeAdapter;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A reference to one version of a named adapter, held by a rollout request from its planning until its last row has
 * ended (or it was withdrawn): the rows decode on this version whatever is pushed or deleted meanwhile. Closing it
 * releases the reference once.
 */
public final class AdapterLease implements AutoCloseable {
    private final ServedAdapter adapter;
    private final AtomicBoolean closed = new AtomicBoolean();

    AdapterLease(ServedAdapter adapter) {
        this.adapter = adapter;
    }

    public String name() {
        return adapter.name();
    }

    public long version() {
        return adapter.version();
    }

    /** The SHA-256 of the base weights this version was loaded for. */
    public String baseSha256() {
        return adapter.baseSha256();
    }

    /** The fused low-rank terms the decoder adds to this request's rows. */
    public DecodeAdapter decode() {
        return adapter.decode();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            adapter.release();
        }
    }
}
