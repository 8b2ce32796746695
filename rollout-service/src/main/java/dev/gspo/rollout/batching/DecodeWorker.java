package dev.gspo.rollout.batching;

import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.replica.DecodeBatches;
import dev.gspo.rollout.weights.PolicyLease;
import dev.gspo.rollout.weights.PolicyRegistry;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The single decode thread (dynamic batching): it takes every request waiting, up to {@code maxBatchSequences}
 * sequences, and decodes them as one KV-cached {@link BatchGenerator#generate} call ({@link DecodeBatches#decode}, as
 * an in-process replica does). Rows carry their own sampling parameters and seeds, so requests with different
 * parameters share a batch, and throughput grows with the number of callers while one batch decodes the next one
 * gathers.
 *
 * <p>Each batch leases the current policy version before it starts and releases it when done: every row of the batch,
 * and so every sample of each request in it, comes from that one version, and a swap during the batch never closes
 * the weights under it.
 *
 * <p>Starts before and stops after the web server (lower phase), so in-flight requests finish at shutdown.
 */
final class DecodeWorker implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(DecodeWorker.class);

    private final DecodeQueue queue;
    private final PolicyRegistry registry;
    private final int maxBatchSequences;
    private final BatchListener listener;
    private volatile Thread thread;

    DecodeWorker(DecodeQueue queue, PolicyRegistry registry, int maxBatchSequences, BatchListener listener) {
        this.queue = queue;
        this.registry = registry;
        this.maxBatchSequences = maxBatchSequences;
        this.listener = listener;
    }

    @Override
    public void start() {
        queue.open(); // after a stop(): Spring's test context cache stops and restarts lifecycle beans
        thread = Thread.ofPlatform().name("rollout-decoder").daemon(true).start(this::loop);
    }

    private void loop() {
        while (true) {
            List<PendingRollout> batch;
            try {
                batch = queue.takeBatch(maxBatchSequences);
            } catch (InterruptedException e) {
                return;
            }
            if (batch.isEmpty()) {
                return; // closed
            }
            decode(batch);
        }
    }

    private void decode(List<PendingRollout> batch) {
        int sequences = batch.stream().mapToInt(PendingRollout::size).sum();
        try (PolicyLease lease = registry.acquire()) {
            List<List<Completion>> perRequest = DecodeBatches.decode(
                    lease.model(), batch.stream().map(PendingRollout::rows).toList());
            long tokens = 0;
            for (int i = 0; i < batch.size(); i++) {
                List<Completion> own = perRequest.get(i);
                for (Completion c : own) {
                    tokens += c.tokenIds().length;
                }
                batch.get(i).result().complete(new DecodedRollout(lease.version(), own));
            }
            listener.batchDecoded(sequences, batch.size(), tokens, lease.version());
        } catch (RuntimeException e) {
            log.error("decode batch of {} sequences failed", sequences, e);
            batch.forEach(p -> p.result().completeExceptionally(e));
        } finally {
            batch.forEach(p -> p.result().completeExceptionally(new IllegalStateException("decode batch aborted")));
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
                t.join(60_000); // lets the running batch finish
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
