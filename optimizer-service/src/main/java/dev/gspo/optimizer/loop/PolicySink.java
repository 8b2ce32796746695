package dev.gspo.optimizer.loop;

/** Where each new policy version goes: the rollout fleet over HTTP in production ({@code PolicyPublisher}). */
public interface PolicySink {
    /** Stage of preparing a version: the weights serialised to safetensors ({@link #recordStage}). */
    String STAGE_SERIALISE = "serialise";
    /** Stage of preparing a version: the SHA-256 of the serialised weights ({@link #recordStage}). */
    String STAGE_SHA256 = "sha256";

    /**
     * Told how long one stage of preparing a version took ({@link #STAGE_SERIALISE}, {@link #STAGE_SHA256}), once per
     * version, by whoever serialised it ({@link Serialised}); a sink that keeps a stage profile records it.
     */
    default void recordStage(String stage, long nanos) {}

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

    /**
     * The base weights a named adapter was trained on: their SHA-256, and their bytes, serialised only if a replica
     * must be sent them (it serves other weights and no other adapter).
     */
    record Base(String sha256, java.util.function.Supplier<byte[]> safetensors) {}

    /**
     * Makes {@code version} of the named adapter {@code name} what every replica serves under that name
     * ({@code PUT /v1/adapters/{name}}), beside other runs' adapters over the same base. A replica that serves other
     * weights and no adapter gets {@code base} first (a full push); one that serves other weights with other adapters
     * loaded cannot take it: on the run's first publish ({@code first}) that fails the run, naming them.
     */
    default PublishResult publishNamedAdapter(
            String name, long version, byte[] adapter, String sha256, Base base, boolean first) {
        throw new UnsupportedOperationException("this sink does not publish named adapters");
    }

    /** The highest version of adapter {@code name} any replica serves (0 when none holds it). */
    default long highestAdapterVersion(String name) {
        return 0;
    }
}
