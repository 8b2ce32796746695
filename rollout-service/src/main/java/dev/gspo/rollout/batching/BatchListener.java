package dev.gspo.rollout.batching;

/**
 * Told what the decoder does (metrics live behind it, so the decoder stays free of them). Every call comes from the
 * decode thread.
 */
public interface BatchListener {
    BatchListener NONE = (sequences, requests, generatedTokens, policyVersion) -> {};

    /**
     * A running batch closed (nothing left to decode, or a newer policy version to serve): over its life it decoded
     * {@code sequences} rows of {@code requests} requests, all on {@code policyVersion}.
     */
    void batchDecoded(int sequences, int requests, long generatedTokens, long policyVersion);

    /** A request's last row ended: its {@code sequences} rows generated {@code generatedTokens} tokens in all. */
    default void requestDecoded(int sequences, long generatedTokens, long policyVersion) {}

    /**
     * As {@link #requestDecoded(int, long, long)}, for a request of the named {@code adapter} (null: the base model);
     * {@code policyVersion} is then the adapter's version. By default the same as the base's.
     */
    default void requestDecoded(int sequences, long generatedTokens, long policyVersion, String adapter) {
        requestDecoded(sequences, generatedTokens, policyVersion);
    }

    /**
     * After every decode step ({@code step} counts the decoder's steps since it started; {@code decoded} rows took
     * part in it) and when a batch closes ({@code decoded} 0): {@code running} rows decoding now, {@code freeSlots}
     * slots free. A listener may add requests to the queue here: they are admitted before the next step.
     */
    default void stepDecoded(long step, int decoded, int running, int freeSlots) {}
}
