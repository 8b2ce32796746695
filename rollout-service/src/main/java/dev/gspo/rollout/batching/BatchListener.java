package dev.gspo.rollout.batching;

/** Told about every decoded batch (metrics live behind it, so the decoder stays free of them). */
public interface BatchListener {
    BatchListener NONE = (sequences, requests, generatedTokens, policyVersion) -> {};

    void batchDecoded(int sequences, int requests, long generatedTokens, long policyVersion);
}
