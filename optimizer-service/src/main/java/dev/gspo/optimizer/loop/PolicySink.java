package dev.gspo.optimizer.loop;

/** Where each new policy version goes: the rollout fleet over HTTP in production ({@code PolicyPublisher}). */
public interface PolicySink {

    /** Makes {@code version} (the serialised weights) the policy every replica serves. */
    PublishResult publish(long version, byte[] safetensors, String sha256);

    /** The highest version any replica serves now; a run publishes above it, since versions only move forward. */
    long highestReplicaVersion();
}
