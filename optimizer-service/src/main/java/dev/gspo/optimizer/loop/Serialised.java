package dev.gspo.optimizer.loop;

import dev.gspo.common.model.PolicyModel;
import java.util.function.Supplier;

/**
 * A version's weights as published: the safetensors bytes, serialised once per version and shared by every push, and
 * their SHA-256. {@link #of} times both stages and tells the sink ({@link PolicySink#recordStage}), so the
 * optimizer's stage profile of a publish has them beside each push's send and answer.
 */
record Serialised(byte[] bytes, String sha256) {
    static Serialised of(PolicySink sink, Supplier<byte[]> serialise) {
        long t0 = System.nanoTime();
        byte[] bytes = serialise.get();
        long t1 = System.nanoTime();
        String sha256 = PolicyModel.sha256(bytes);
        long t2 = System.nanoTime();
        sink.recordStage(PolicySink.STAGE_SERIALISE, t1 - t0);
        sink.recordStage(PolicySink.STAGE_SHA256, t2 - t1);
        return new Serialised(bytes, sha256);
    }
}
