package dev.gspo.optimizer.loop;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Pipelined steps ({@code sampling.maxStaleness} = S; docs/ALGORITHM.md §9.2): the fleet samples the next steps while
 * the trainer trains the current one, never from a policy more than S versions older than the one that trains on it.
 *
 * <pre>
 *   v_k = the trainer's version when step k trains (published before it); v_{k+1} = v_k + 1
 *   after v_k is published:    request the samples of every step m ≤ k + S not yet requested,
 *                              with minPolicyVersion = v_k (the newest published version)
 *   before v_{k+1} is published: wait until every requested step's samples are in
 *   ⇒ step m's samples come from exactly version v_issue = max(v_first, v_{m−S}) (no newer one exists while they are
 *     drawn, and none older is accepted), so their staleness v_m − v_issue = min(m − first, S) ≤ S
 * </pre>
 *
 * Because no version is published while a request is out, which version serves a step does not depend on timing: a
 * pipelined run is as reproducible from its config as an on-policy one. The price is that a publish waits for the
 * samples already requested; with one fleet and one trainer the overlap gained is rollout ∥ train either way.
 *
 * <p>With S = 0 every step is drawn on the caller's thread when it is taken: today's strictly on-policy loop. With
 * S &gt; 0 the draws run in order on one background thread; a draw's failure surfaces when its step is taken, as the
 * same exception. {@link #close()} drops what is still in flight (a stopped run's prefetched samples are not kept: a
 * resumed run requests them again from its own first version).
 */
final class RolloutPipeline<T> implements AutoCloseable {

    /** Draws the samples of one step (prompts, rollouts, rewards) from versions ≥ {@code minPolicyVersion}. */
    @FunctionalInterface
    interface Drawer<T> {
        T draw(long step, long minPolicyVersion);
    }

    private final int maxStaleness;
    private final long lastStep;
    private final Drawer<T> drawer;
    private final ExecutorService executor;
    private final Map<Long, Pending<T>> pending = new TreeMap<>();

    private record Pending<T>(long minPolicyVersion, Future<T> draw) {}

    /**
     * @param maxStaleness S, ≥ 0
     * @param lastStep     the run's last step: nothing beyond it is requested
     */
    RolloutPipeline(int maxStaleness, long lastStep, Drawer<T> drawer) {
        if (maxStaleness < 0) {
            throw new IllegalArgumentException("maxStaleness must be >= 0, got " + maxStaleness);
        }
        this.maxStaleness = maxStaleness;
        this.lastStep = lastStep;
        this.drawer = drawer;
        this.executor = maxStaleness == 0
                ? null
                : Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "gspo-rollout-prefetch");
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Called once version {@code published} is the newest published one and step {@code next} is the next to train:
     * requests the samples of steps {@code next … next + S} not yet requested (nothing with S = 0).
     */
    void ahead(long next, long published) {
        if (executor == null) {
            return;
        }
        for (long m = next; m <= Math.min(next + maxStaleness, lastStep); m++) {
            if (!pending.containsKey(m)) {
                long step = m;
                pending.put(m, new Pending<>(published, executor.submit(() -> drawer.draw(step, published))));
            }
        }
    }

    /**
     * The samples of step {@code k}, which trains on version {@code published} (the newest published): drawn now with
     * S = 0, else the prefetched draw, waited for.
     *
     * @return the draw and the version its requests named as their minimum
     * @throws RuntimeException what the draw threw (a fleet or reward failure), as it was thrown
     */
    Taken<T> take(long k, long published) {
        if (executor == null) {
            return new Taken<>(drawer.draw(k, published), published);
        }
        ahead(k, published);
        Pending<T> p = pending.remove(k);
        try {
            return new Taken<>(p.draw().get(), p.minPolicyVersion());
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re
                    ? re
                    : new IllegalStateException("drawing step " + k + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the samples of step " + k, e);
        }
    }

    /** A step's draw and the {@code minPolicyVersion} its rollout requests carried. */
    record Taken<T>(T drawn, long minPolicyVersion) {}

    /**
     * Waits until every requested draw has finished (successfully or not: a failure is thrown when its step is
     * taken), so that the version about to be published serves none of them.
     */
    void awaitInFlight() {
        for (Pending<T> p : pending.values()) {
            try {
                p.draw().get();
            } catch (ExecutionException | CancellationException e) {
                // surfaces in take()
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for prefetched samples", e);
            }
        }
    }

    /** Steps requested and not yet taken. */
    int inFlight() {
        return pending.size();
    }

    /**
     * Drops every draw not yet taken (an HTTP request in flight is interrupted) and waits until the background thread
     * has stopped, so nothing samples or scores for this run after it returns.
     */
    @Override
    public void close() {
        if (executor == null) {
            return;
        }
        pending.values().forEach(p -> p.draw().cancel(true));
        pending.clear();
        executor.shutdownNow();
        try {
            while (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                org.slf4j.LoggerFactory.getLogger(RolloutPipeline.class)
                        .info("waiting for a prefetched rollout to finish before the run ends");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
