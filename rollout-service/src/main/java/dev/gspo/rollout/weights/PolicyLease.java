package dev.gspo.rollout.weights;

import dev.gspo.common.model.DecodeWeights;
import dev.gspo.common.model.PolicyModel;
import java.util.concurrent.atomic.AtomicBoolean;

/** A reference to one policy version, held while a batch decodes on it; closing it releases the reference once. */
public final class PolicyLease implements AutoCloseable {
    private final ServedPolicy policy;
    private final AtomicBoolean closed = new AtomicBoolean();

    PolicyLease(ServedPolicy policy) {
        this.policy = policy;
    }

    public long version() {
        return policy.version();
    }

    /** SHA-256 of the weights this version serves. */
    public String sha256() {
        return policy.sha256();
    }

    public PolicyModel model() {
        return policy.model();
    }

    /** The version's fused decode weights, shared by every batch on it; valid while this lease is open. */
    public DecodeWeights decodeWeights() {
        return policy.decodeWeights();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            policy.release();
        }
    }
}
