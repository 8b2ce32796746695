package dev.gspo.rollout.batching;

import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.RunningBatch;
import dev.gspo.common.decode.RunningBatch.Admission;
import dev.gspo.common.decode.RunningBatch.Finished;
import dev.gspo.rollout.adapters.AdapterLease;
import dev.gspo.rollout.adapters.AdapterProblem;
import dev.gspo.rollout.weights.PolicyLease;
import dev.gspo.rollout.weights.PolicyRegistry;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The single decode thread, batching continuously: it keeps one {@link RunningBatch} of at most
 * {@code maxBatchSequences} rows, and between two decode steps admits waiting rows into the slots that rows which
 * ended (EOS, stop string, {@code maxNewTokens}) have just freed, fairly between requests ({@link DecodeQueue#admit}).
 * A request completes when its last row ends, whatever else still decodes. Rows carry their own sampling parameters
 * and seeds, so requests with different parameters share the batch and a sample does not depend on its batch mates.
 *
 * <p><b>Policy versions.</b> A batch leases the version current when it opens and releases it when it closes, so
 * every row it decodes, and every sample of a request (a request is admitted into one batch only), comes from that
 * version. After a swap the batch <i>drains</i>: rows in flight finish on their version, started requests get their
 * remaining rows admitted on it too, and requests not yet started wait; once nothing of the old version is left the
 * batch closes and the next one opens on the new version. The replaced version is closed only after that.
 *
 * <p><b>Named adapters.</b> A request naming an adapter carries a lease on one version of it ({@link AdapterLease},
 * taken when it was planned): its rows join the same running batch as every other request's, each row adding its own
 * adapter's low-rank terms ({@link RunningBatch.Admission#adapter}), and the version stays open until the request is
 * answered, whatever is pushed or deleted meanwhile. Adapter pushes never drain the batch: only the base version does.
 *
 * <p>Starts before and stops after the web server (lower phase), so in-flight requests finish at shutdown.
 */
final class DecodeWorker implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(DecodeWorker.class);

    private final DecodeQueue queue;
    private final PolicyRegistry registry;
    private final int maxBatchSequences;
    private final int maxContextTokens;
    private final int perRequestSlots;
    private final BatchListener listener;
    private volatile Thread thread;
    private long steps;

    DecodeWorker(DecodeQueue queue, PolicyRegistry registry, int maxBatchSequences, BatchListener listener) {
        this(queue, registry, maxBatchSequences, 0, 0, listener);
    }

    /**
     * @param maxContextTokens positions per slot; 0 = the model's {@code max_position_embeddings}
     * @param reservedSlots    slots one request may never hold (it runs at most {@code maxBatchSequences −
     *                         reservedSlots} rows at once), kept for requests arriving while it runs
     */
    DecodeWorker(
            DecodeQueue queue,
            PolicyRegistry registry,
            int maxBatchSequences,
            int maxContextTokens,
            int reservedSlots,
            BatchListener listener) {
        this.queue = queue;
        this.registry = registry;
        this.maxBatchSequences = maxBatchSequences;
        this.maxContextTokens = maxContextTokens;
        this.perRequestSlots = maxBatchSequences - reservedSlots;
        this.listener = listener;
    }

    @Override
    public void start() {
        queue.open(); // after a stop(): Spring's test context cache stops and restarts lifecycle beans
        thread = Thread.ofPlatform().name("rollout-decoder").daemon(true).start(this::loop);
    }

    private void loop() {
        Batch batch = null;
        try {
            while (true) {
                if (batch != null && batch.running.running() == 0 && (batch.stale() || !queue.hasWaiting())) {
                    batch.close();
                    batch = null;
                }
                if (batch == null) {
                    if (!queue.awaitWork()) {
                        return; // closed, nothing started is left
                    }
                    batch = open();
                    if (batch == null) {
                        continue;
                    }
                }
                if (!batch.admit() || !batch.step()) {
                    batch.abort();
                    batch = null;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (batch != null) {
                batch.close();
            }
        }
    }

    private Batch open() {
        PolicyLease lease = registry.acquire();
        try {
            int context = maxContextTokens > 0
                    ? maxContextTokens
                    : lease.model().config().maxPositionEmbeddings();
            // the version's fused decode weights: built by its first batch, not again each time the batch empties
            return new Batch(
                    lease, new RunningBatch<>(lease.model(), maxBatchSequences, context, lease.decodeWeights()));
        } catch (RuntimeException e) {
            lease.close();
            log.error("cannot open a running batch on policy version {}", lease.version(), e);
            for (RowTicket t : queue.admit(Integer.MAX_VALUE, true)) {
                fail(t.request(), e);
            }
            return null;
        }
    }

    private void fail(PendingRollout p, RuntimeException e) {
        queue.drop(p);
        p.result().completeExceptionally(e);
    }

    /** One running batch on one leased version, and the requests with rows in it. */
    private final class Batch {
        final PolicyLease lease;
        final RunningBatch<RowTicket> running;
        final Set<PendingRollout> requests = new LinkedHashSet<>();
        int sequences;
        int completed;
        long tokens;

        Batch(PolicyLease lease, RunningBatch<RowTicket> running) {
            this.lease = lease;
            this.running = running;
        }

        boolean stale() {
            return registry.current().version() != lease.version();
        }

        /** Admits waiting rows into the free slots (only rows of started requests while draining). */
        boolean admit() {
            List<RowTicket> join = queue.admit(running.freeSlots(), !stale(), perRequestSlots);
            if (join.isEmpty()) {
                return true;
            }
            List<Admission<RowTicket>> rows = new ArrayList<>(join.size());
            for (RowTicket t : join) {
                AdapterLease adapter = t.request().adapter();
                if (adapter != null && !adapter.baseSha256().equals(lease.sha256())) {
                    // the adapter was loaded for other base weights than this batch's (it was deleted and the base
                    // replaced while the request waited): its samples would be wrong, so it fails instead
                    requests.remove(t.request());
                    fail(t.request(), AdapterProblem.baseChanged(adapter.name(), adapter.baseSha256(), lease.sha256()));
                    continue;
                }
                requests.add(t.request());
                rows.add(new Admission<>(t, t.sequence(), adapter == null ? null : adapter.decode()));
            }
            if (rows.isEmpty()) {
                return true;
            }
            try {
                deliver(running.admit(rows));
                return true;
            } catch (RuntimeException e) {
                log.error("prefill of {} rows failed", rows.size(), e);
                failAll(e);
                return false;
            }
        }

        /** One decode step, then hands back what ended. */
        boolean step() {
            int decoded = running.running();
            if (decoded == 0) {
                return true;
            }
            try {
                deliver(running.step());
            } catch (RuntimeException e) {
                log.error("decode step over {} rows failed", running.running(), e);
                failAll(e);
                return false;
            }
            steps++;
            listener.stepDecoded(steps, decoded, running.running(), running.freeSlots());
            return true;
        }

        private void deliver(List<Finished<RowTicket>> ended) {
            for (Finished<RowTicket> f : ended) {
                PendingRollout p = f.tag().request();
                if (p.rowEnded(f.tag().row(), f.completion()) && requests.remove(p)) {
                    long generated = 0;
                    List<Completion> completions = p.completions();
                    for (Completion c : completions) {
                        generated += c.tokenIds().length;
                    }
                    sequences += p.size();
                    completed++;
                    tokens += generated;
                    AdapterLease adapter = p.adapter();
                    long version = adapter == null ? lease.version() : adapter.version();
                    String name = adapter == null ? null : adapter.name();
                    listener.requestDecoded(p.size(), generated, version, name); // counted before it is answered
                    p.result().complete(new DecodedRollout(version, completions, name));
                }
            }
        }

        private void failAll(RuntimeException e) {
            for (PendingRollout p : requests) {
                fail(p, e);
            }
            requests.clear();
        }

        void abort() {
            close();
        }

        void close() {
            if (!requests.isEmpty()) {
                failAll(new IllegalStateException("the decode batch closed before these requests finished"));
            }
            try {
                running.close();
            } finally {
                lease.close();
            }
            if (completed > 0) {
                listener.batchDecoded(sequences, completed, tokens, lease.version());
            }
            listener.stepDecoded(steps, 0, 0, maxBatchSequences);
        }
    }

    @Override
    public void stop() {
        for (PendingRollout p : queue.close()) {
            p.result().completeExceptionally(new DecoderStoppedException());
        }
        Thread t = thread;
        if (t != null) {
            try {
                t.join(60_000); // lets the running rows finish
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 4096;
    }
}
