package dev.gspo.rollout.weights;

import dev.gspo.common.hash.Sha256;
import dev.gspo.common.replica.PushStages;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * SHA-256 of a body computed on a thread of its own while the body is still being read, so hashing overlaps the
 * socket reads when a core is free. The reader fills an array and hands over each filled range ({@link #update}): the
 * range is a view of the reader's array, never a copy, and the reader does not write to it again. The hand-off is a
 * bounded queue ({@link #WAITING_RANGES}): a reader that gets that far ahead of the hasher waits, so the pending work
 * stays bounded. Ranges are hashed in the order they were handed over, so the digest is SHA-256 of their
 * concatenation; {@link #end} hands over the end and {@link #await} waits for the digest, so the reader may do other
 * work between the two.
 *
 * <p>Memory visibility: the reader's writes to a range happen-before the hasher reads it (the queue's put and take).
 *
 * <p>{@link #close} before {@link #finish} abandons the digest (a body that failed to arrive): the thread stops.
 */
final class OverlappedSha256 implements AutoCloseable {
    /** How many handed-over ranges may wait for the hasher before {@link #update} waits. */
    static final int WAITING_RANGES = 64;

    /**
     * The digest, the hasher's busy time (wall time spent hashing, not waiting for ranges) and its CPU time (-1 where
     * not measured).
     */
    record Digest(String hex, long busyNanos, long cpuNanos) {}

    private record Range(byte[] array, int offset, int length) {}

    private static final Range END = new Range(new byte[0], 0, 0);

    private final BlockingQueue<Range> filled = new ArrayBlockingQueue<>(WAITING_RANGES);
    private final CompletableFuture<Digest> digest = new CompletableFuture<>();
    private final Thread thread;
    private boolean ended;

    OverlappedSha256() {
        MessageDigest sha = sha256();
        thread = Thread.ofPlatform().daemon().name("push-sha256").start(() -> run(sha));
    }

    /**
     * Hands over {@code array[offset, offset + length)}, filled and not to be written again; waits while {@link
     * #WAITING_RANGES} ranges wait for the hasher.
     */
    void update(byte[] array, int offset, int length) {
        if (length > 0) {
            put(new Range(array, offset, length));
        }
    }

    /** Hands over the end: no more ranges follow; {@link #await} then gives the digest. */
    void end() {
        put(END);
        ended = true;
    }

    /** Waits for the SHA-256 of every range handed over before {@link #end}, in order. */
    Digest await() {
        try {
            return digest.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the body's SHA-256", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("hashing the body failed", e.getCause());
        }
    }

    /** Stops the hashing thread if {@link #end} was not reached (the body failed): its digest is abandoned. */
    @Override
    public void close() {
        if (!ended) {
            thread.interrupt();
        }
    }

    private void put(Range range) {
        try {
            while (!filled.offer(range, 100, TimeUnit.MILLISECONDS)) {
                if (digest.isDone()) { // the hasher stopped: await() reports why
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while handing a range to the hashing thread", e);
        }
    }

    private void run(MessageDigest sha) {
        try {
            long cpuStart = PushStages.threadCpuNanos();
            long busy = 0;
            for (Range r = filled.take(); r != END; r = filled.take()) {
                long t0 = System.nanoTime();
                sha.update(r.array(), r.offset(), r.length());
                busy += System.nanoTime() - t0;
            }
            long t0 = System.nanoTime();
            String hex = HexFormat.of().formatHex(sha.digest());
            busy += System.nanoTime() - t0;
            long cpuEnd = PushStages.threadCpuNanos();
            digest.complete(new Digest(hex, busy, cpuStart < 0 || cpuEnd < 0 ? -1 : cpuEnd - cpuStart));
        } catch (InterruptedException e) {
            digest.cancel(false); // abandoned by close()
        } catch (Throwable e) {
            digest.completeExceptionally(e);
        }
    }

    /** A fresh SHA-256 digest ({@link Sha256}: AWS-LC's where it loads, else the JDK's). */
    static MessageDigest sha256() {
        return Sha256.newDigest();
    }
}
