package dev.gspo.common.task;

import java.nio.charset.StandardCharsets;

/**
 * Hashes that never change across JVMs and releases, for held-out splits.
 *
 * <p>Why not {@code hashCode()}: a held-out split must stay the same forever, or yesterday's
 * evaluation prompts leak into today's training. These are fixed, documented functions:
 * FNV-1a (64-bit) over UTF-8 bytes for strings, then the SplitMix64 finaliser to spread the bits.
 */
final class StableHash {

    private StableHash() {}

    /** The SplitMix64 finaliser (Steele, Lea, Flood 2014). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** FNV-1a 64 of the UTF-8 bytes of {@code s}, then {@link #mix64}. */
    static long of(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xFF);
            h *= 0x100000001B3L;
        }
        return mix64(h);
    }

    /** A hash of the unordered pair {a, b}: {@code of(a, b) == of(b, a)}. */
    static long ofUnorderedPair(long a, long b) {
        long lo = Math.min(a, b);
        long hi = Math.max(a, b);
        return mix64(mix64(lo) ^ hi);
    }

    /** Maps a hash to [0, 1) using its top 53 bits. */
    static double unit(long hash) {
        return (hash >>> 11) * 0x1.0p-53;
    }
}
