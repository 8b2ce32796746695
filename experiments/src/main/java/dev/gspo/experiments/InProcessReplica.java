package dev.gspo.experiments;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.optimizer.loop.PolicySink;
import dev.gspo.optimizer.publish.PublishResult;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A rollout replica inside the optimizer's JVM, for experiments that run many training runs: the {@link PolicySink}
 * half of the in-process pair (the other is {@link InProcessRollouts}).
 *
 * <p>It keeps its own serving copy of the policy, separate from the trainer's, and installs each published version
 * the way the rollout-service's {@code WeightUpdater} does: the published safetensors bytes are checked against their
 * SHA-256, decoded with {@link Safetensors#read(byte[])} and built into a new model with
 * {@link PolicyModel#withWeights}; only then does it replace the served copy, whose weights are closed. The tokenizer
 * is shared by every version. Versions only move forward. What is left out is HTTP: no request, no push token.
 *
 * <p>Not thread-safe: a {@code TrainingRun} publishes and samples on one thread.
 */
public final class InProcessReplica implements PolicySink, AutoCloseable {
    static final URI ENDPOINT = URI.create("in-process:replica");

    private final NDManager manager;
    private PolicyModel served;
    private long version;

    private InProcessReplica(NDManager manager, PolicyModel initial) {
        this.manager = manager;
        this.served = initial;
    }

    /** A replica serving the model directory as version 0, as a rollout-service started with that model-dir does. */
    public static InProcessReplica load(Path modelDir) {
        NDManager manager = NDManager.newBaseManager();
        try {
            return new InProcessReplica(manager, PolicyModel.load(modelDir, manager));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public PublishResult publish(long newVersion, byte[] safetensors, String sha256) {
        long started = System.nanoTime();
        if (newVersion <= version) {
            throw new IllegalStateException("version " + newVersion + " is not newer than the served " + version);
        }
        String actual = PolicyModel.sha256(safetensors);
        if (!actual.equals(sha256)) {
            throw new IllegalArgumentException("weights of version " + newVersion + " have sha256 " + actual
                    + ", the publisher announced " + sha256);
        }
        PolicyModel next = served.withWeights(Safetensors.read(safetensors), manager);
        PolicyModel previous = served;
        served = next;
        version = newVersion;
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

    @Override
    public void close() {
        served.close();
        served.tokenizer().close();
        manager.close();
    }
}
