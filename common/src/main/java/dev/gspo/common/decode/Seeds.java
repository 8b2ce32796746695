package dev.gspo.common.decode;

/** Derives independent per-sample seeds from a request seed (SplitMix64 finaliser over the mixed indices). */
public final class Seeds {
    private Seeds() {}

    /** The seed of sample {@code sampleIndex} of prompt {@code promptIndex} of a request seeded with {@code seed}. */
    public static long forSample(long seed, int promptIndex, int sampleIndex) {
        return mix(mix(mix(seed) ^ promptIndex) ^ ((long) sampleIndex << 32));
    }

    static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
