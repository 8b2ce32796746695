package dev.gspo.optimizer.loop;

/** Where each new policy version goes: the rollout fleet over HTTP in production ({@code PolicyPublisher}). */
public interface PolicySink {

    /** Makes {@code version} (the serialised weights) the policy every replica serves. */
    PublishResult publish(long version, byte[] safetensors, String sha256);

    /**
     * Whether {@link #publishAdapter} is supported: a LoRA run then publishes its base once ({@link #publish}) and
     * each later version as its adapter only.
     */
    default boolean publishesAdapters() {
        return false;
    }

    /**
     * Makes {@code version} = the last {@link #publish}ed weights (the base) with this LoRA adapter merged in, the
     * policy every replica serves ({@code PUT /v1/policy/adapter}); a replica that keeps another base gets the base
     * first.
     *
     * @param adapter the adapter as a push body (PEFT's names, its config in the safetensors metadata)
     */
    default PublishResult publishAdapter(long version, byte[] adapter, String sha256) {
        throw new UnsupportedOperationException("this sink publishes full weights only");
    }

    /** The highest version any replica serves now; a run publishes above it, since versions only move forward. */
    long highestReplicaVersion();
}
