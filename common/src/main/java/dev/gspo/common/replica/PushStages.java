package dev.gspo.common.replica;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where one weight push's time goes on a replica, stage by stage: each {@link #lap} ends the stage that began at the
 * previous lap (or at creation) and adds the wall time between the two {@code System.nanoTime()} marks to that stage.
 * The stages of a full push received by a rollout-service, in order: {@link #READ} (the body from the socket; SHA-256
 * runs meanwhile on another thread), {@link #PARSE} (header, names, shapes, dtypes), {@link #BUILD} (the new model's
 * native storage filled, every value checked finite as it is copied; these two while the hashing thread catches up),
 * {@link #HASH} (waiting for the digest of what was still unhashed), {@link #SHA256} (comparing the checksum), {@link
 * #SWAP}. Where the digest is known before the content is checked (an in-process replica hashes the whole body
 * first), {@link #SHA256} comes first.
 *
 * <p>Work done for the push on another thread is not on this timeline: it is added with {@link #addConcurrent} as a
 * stage of its own (e.g. {@link #HASH_THREAD}, the hashing thread's busy time, which overlaps {@link #READ}) and its
 * CPU time counts in {@link #cpuNanos()}.
 *
 * <p>One push, one thread: not thread-safe. Also keeps the thread's CPU time over the same span when the JVM measures
 * it ({@link #cpuNanos()}, -1 otherwise), plus the CPU time of the push's helper threads: replicas that share a
 * machine share its cores.
 */
public final class PushStages {
    public static final String READ = "read";
    public static final String HASH = "hash";
    public static final String SHA256 = "sha256";
    public static final String PARSE = "parse";
    public static final String BUILD = "build";
    public static final String SWAP = "swap";
    /** Busy time of the thread that hashes the body while it is read: overlaps {@link #READ}, not on the timeline. */
    public static final String HASH_THREAD = "hash-thread";

    private final Map<String, Long> nanos = new LinkedHashMap<>();
    private final long cpuStart = ThreadCpu.now();
    private long mark = System.nanoTime();
    private long cpuEnd = -1;
    private long helperCpu;

    /** Starts timing now, on the calling thread (the first stage begins here). */
    public PushStages() {}

    /** Ends the current stage: the time since the previous lap is added to {@code stage}. */
    public void lap(String stage) {
        long now = System.nanoTime();
        nanos.merge(stage, now - mark, Long::sum);
        mark = now;
    }

    /**
     * Adds work done for this push on another thread: {@code wallNanos} to {@code stage} (off the timeline: it
     * overlaps the laps) and {@code cpuNanos} (that thread's CPU time; ignored if negative) to {@link #cpuNanos()}.
     */
    public void addConcurrent(String stage, long wallNanos, long cpuNanos) {
        nanos.merge(stage, wallNanos, Long::sum);
        if (cpuNanos > 0) {
            helperCpu += cpuNanos;
        }
    }

    /** The calling thread's CPU time in nanoseconds, or -1 where the JVM does not measure it. */
    public static long threadCpuNanos() {
        return ThreadCpu.now();
    }

    /** Stops the CPU clock: {@link #cpuNanos()} is the calling thread's CPU time from creation to here. */
    public void finish() {
        long now = ThreadCpu.now();
        cpuEnd = now < 0 || cpuStart < 0 ? -1 : now;
    }

    /** Stage → wall nanoseconds, in the order the stages first ended. */
    public Map<String, Long> nanos() {
        return Collections.unmodifiableMap(nanos);
    }

    /**
     * CPU nanoseconds of the thread between creation and {@link #finish()}, plus those of the push's helper threads
     * ({@link #addConcurrent}); -1 if not measured.
     */
    public long cpuNanos() {
        return cpuEnd < 0 ? -1 : cpuEnd - cpuStart + helperCpu;
    }

    /** The current thread's CPU time in nanoseconds, or -1 where the JVM does not measure it. */
    static final class ThreadCpu {
        private static final java.lang.management.ThreadMXBean BEAN =
                java.lang.management.ManagementFactory.getThreadMXBean();
        private static final boolean SUPPORTED = BEAN.isCurrentThreadCpuTimeSupported();

        private ThreadCpu() {}

        static long now() {
            return SUPPORTED ? BEAN.getCurrentThreadCpuTime() : -1;
        }
    }
}
