package dev.gspo.common.replica;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reference count of something a replica serves (a policy version, an adapter version): it starts with one
 * reference (the registry's), every reader takes one while it uses the thing, and the last release runs the
 * {@code onLastRelease} action (free or hand on its native memory) exactly once. Once the count has reached zero it
 * stays there: {@link #retain} fails, so a retired thing can never be used again.
 *
 * <pre>
 *   retain:  n → n + 1  if n > 0 (compare-and-set), else fails
 *   release: n → n − 1; at 0 the action runs; below 0 is a bug of the caller (released more often than retained)
 * </pre>
 */
public final class ReferenceCount {
    private final AtomicInteger references = new AtomicInteger(1);
    private final String what;
    private final Runnable onLastRelease;

    /**
     * @param what          names the counted thing in the error of a release too many (e.g. "policy version 3")
     * @param onLastRelease runs once, on the thread that releases the last reference
     */
    public ReferenceCount(String what, Runnable onLastRelease) {
        this.what = what;
        this.onLastRelease = onLastRelease;
    }

    /** Takes a reference unless the count has already reached zero; returns whether it did. */
    public boolean retain() {
        while (true) {
            int n = references.get();
            if (n == 0) {
                return false;
            }
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one runs the release action. */
    public void release() {
        int left = references.decrementAndGet();
        if (left == 0) {
            onLastRelease.run();
        } else if (left < 0) {
            throw new IllegalStateException(what + " released more often than retained");
        }
    }

    /** Whether the last reference is gone (the action has run or is running). */
    public boolean released() {
        return references.get() == 0;
    }
}
