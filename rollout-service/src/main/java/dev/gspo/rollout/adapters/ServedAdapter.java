package dev.gspo.rollout.adapters;

import dev.gspo.common.model.DecodeAdapter;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.wire.AdapterInfo;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

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
    private final AtomicInteger references = new AtomicInteger(1);

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
        while (true) {
            int n = references.get();
            if (n == 0) {
                return false;
            }
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void release() {
        int left = references.decrementAndGet();
        if (left == 0) {
            decode.close();
        } else if (left < 0) {
            throw new IllegalStateException("adapter " + name + " version " + version + " released too often");
        }
    }

    boolean retired() {
        return references.get() == 0;
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
