package dev.gspo.rollout.adapters;

import dev.gspo.common.model.DecodeAdapter;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.replica.ReferenceCount;
import dev.gspo.common.wire.AdapterInfo;
import java.time.Instant;

/**
 * One version of a named adapter as served: its fused decode terms ({@link DecodeAdapter}) and what
 * {@code GET /v1/adapters/{name}} says of it. Reference counted as {@code ServedPolicy} is: the registry holds one
 * reference while the version is current, every rollout request using it holds one ({@link AdapterLease}); the native
 * arrays are freed when the last is released, so rows decoding on a replaced or deleted version finish on it.
 */
final class ServedAdapter {
    private final String name;
    private final long version;
    private final String baseSha256;
    private final DecodeAdapter decode;
    private final AdapterInfo info;
    private final ReferenceCount references;

    ServedAdapter(
            String name,
            long version,
            LoraConfig lora,
            String sha256,
            long bytes,
            String baseSha256,
            DecodeAdapter decode,
            Instant loadedAt) {
        this.name = name;
        this.version = version;
        this.baseSha256 = baseSha256;
        this.decode = decode;
        this.references = new ReferenceCount("adapter " + name + " version " + version, decode::close);
        this.info = new AdapterInfo(
                name,
                version,
                lora.rank(),
                lora.alpha(),
                lora.targets(),
                sha256,
                bytes,
                baseSha256,
                loadedAt.toString(),
                decode.bytes());
    }

    boolean retain() {
        return references.retain();
    }

    void release() {
        references.release();
    }

    boolean retired() {
        return references.released();
    }

    String name() {
        return name;
    }

    long version() {
        return version;
    }

    String baseSha256() {
        return baseSha256;
    }

    DecodeAdapter decode() {
        return decode;
    }

    AdapterInfo info() {
        return info;
    }
}
