package dev.gspo.experiments;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.DecodeWeights;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.VersionDecodeWeights;
import dev.gspo.common.replica.DecodeBatches;
import dev.gspo.common.replica.RejectedWeightsException;
import dev.gspo.common.replica.WeightInstall;
import dev.gspo.optimizer.loop.PolicySink;
import dev.gspo.optimizer.loop.PublishResult;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A rollout replica inside the optimizer's JVM, for experiments that run many training runs: the {@link PolicySink}
 * half of the in-process pair (the other is {@link InProcessRollouts}).
 *
 * <p>It keeps its own serving copy of the policy, separate from the trainer's, and installs each published version
 * with the rollout-service's own step, {@link WeightInstall#build}: the bytes are verified (SHA-256, framing, names,
 * shapes, dtypes, finiteness) and built into a new model; only then does it replace the served copy, whose weights
 * are closed. The tokenizer is shared by every version. Versions only move forward. What is left out is HTTP, the
 * decode queue and the leases: no request, no push token, one caller at a time.
 *
 * <p>Not thread-safe: a {@code TrainingRun} never publishes and samples at the same time. With pipelined steps
 * ({@code sampling.maxStaleness} &gt; 0) it samples on its pipeline's thread, but it publishes only once no sample is
 * being drawn and asks for samples only after a publish returned (handing the request to that thread orders the two).
 */
public final class InProcessReplica implements PolicySink, AutoCloseable {
    static final URI ENDPOINT = URI.create("in-process:replica");

    private final NDManager manager;
    private final int maxBatchSequences;
    private PolicyModel served;
    private VersionDecodeWeights servedDecode; // the served version's fused decode weights, freed with it
    private long version;

    private InProcessReplica(NDManager manager, PolicyModel initial, int maxBatchSequences) {
        this.manager = manager;
        this.served = initial;
        this.servedDecode = new VersionDecodeWeights(initial);
        this.maxBatchSequences = maxBatchSequences;
    }

    /**
     * A replica serving the model directory as version 0, as a rollout-service started with that model-dir and the
     * default {@code gspo.rollout.max-batch-sequences} does.
     */
    public static InProcessReplica load(Path modelDir) {
        return load(modelDir, DecodeBatches.DEFAULT_MAX_SEQUENCES);
    }

    /** The same with {@code gspo.rollout.max-batch-sequences} = {@code maxBatchSequences}. */
    public static InProcessReplica load(Path modelDir, int maxBatchSequences) {
        NDManager manager = NDManager.newBaseManager();
        try {
            return new InProcessReplica(manager, PolicyModel.load(modelDir, manager), maxBatchSequences);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * @throws IllegalStateException     if {@code newVersion} is not ahead of the served one
     * @throws RejectedWeightsException  if the bytes do not check out; the served version stays
     */
    @Override
    public PublishResult publish(long newVersion, byte[] safetensors, String sha256) {
        long started = System.nanoTime();
        if (newVersion <= version) {
            throw new IllegalStateException("version " + newVersion + " is not newer than the served " + version);
        }
        PolicyModel next = WeightInstall.build(served, safetensors, sha256, manager);
        PolicyModel previous = served;
        VersionDecodeWeights previousDecode = servedDecode;
        served = next;
        servedDecode = new VersionDecodeWeights(next);
        version = newVersion;
        previousDecode.close();
        previous.close(); // the weights only; the shared tokenizer stays open
        return new PublishResult(
                newVersion,
                safetensors.length,
                Duration.ofNanos(System.nanoTime() - started),
                List.of(new PublishResult.Replica(ENDPOINT, true, 1, null)));
    }

    @Override
    public long highestReplicaVersion() {
        return version;
    }

    /** The model served now (valid until the next {@link #publish}). */
    PolicyModel served() {
        return served;
    }

    long version() {
        return version;
    }

    /**
     * The served version's fused decode weights (built on the first call after a publish; valid until the next
     * {@link #publish}): the served copy never changes in place, so they are not rebuilt per batch.
     */
    DecodeWeights decodeWeights() {
        return servedDecode.get();
    }

    /** The most rows one request may have: a request is decoded as one batch, never split. */
    int maxBatchSequences() {
        return maxBatchSequences;
    }

    @Override
    public void close() {
        servedDecode.close();
        served.close();
        served.tokenizer().close();
        manager.close();
    }
}
