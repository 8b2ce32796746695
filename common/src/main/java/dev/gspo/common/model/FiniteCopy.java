package dev.gspo.common.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Copies float32 values from a little-endian buffer (a safetensors body) into native storage and checks that they are
 * finite in the same pass: one read of the body instead of a scan and then a copy.
 *
 * <p>The test is on the bits: a float32 is non-finite (±Infinity or NaN) exactly when its 8 exponent bits are all
 * ones, {@code (bits & 0x7f800000) == 0x7f800000} (mantissa 0: ±Infinity; otherwise NaN, quiet or signalling, any
 * sign). Subnormals, ±0 and every other value have at least one exponent bit clear and are finite.
 */
final class FiniteCopy {
    /** The exponent bits of a float32. */
    static final int EXPONENT_BITS = 0x7f800000;

    /** One float32 of the body: little-endian, at any byte offset (the data starts wherever the header ends). */
    private static final ValueLayout.OfInt LITTLE_ENDIAN_WORD =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One float32 of the storage: in the machine's order, as the native code reads it. */
    private static final ValueLayout.OfInt NATIVE_WORD = ValueLayout.JAVA_INT_UNALIGNED;

    private FiniteCopy() {}

    /** Whether the float32 with these bits is ±Infinity or NaN: {@code (bits & 0x7f800000) == 0x7f800000}. */
    static boolean nonFinite(int bits) {
        return (bits & EXPONENT_BITS) == EXPONENT_BITS;
    }

    /**
     * Copies {@code count} float32 values, little-endian from byte {@code srcOffset} of {@code src}, to {@code dst}
     * (from its byte 0, in native order: the bits are kept, so every finite value is copied exactly) and returns the
     * flat index of the first non-finite one, or -1 if all are finite.
     *
     * <p>The copy is one branch-free loop that ORs every value's non-finite flag into one ({@code bad |= nonFinite(v)
     * ? 1 : 0}), which C2 vectorises; stopping at the first bad value would put a branch in the loop and keep it
     * scalar (several times slower). Only when the flag is set does a second, scalar pass ({@link #firstNonFinite})
     * find where. {@code dst} then holds all {@code count} values, the non-finite ones too.
     */
    static long copy(MemorySegment src, long srcOffset, MemorySegment dst, long count) {
        int bad = 0;
        for (long i = 0; i < count; i++) {
            int bits = src.get(LITTLE_ENDIAN_WORD, srcOffset + 4 * i);
            bad |= nonFinite(bits) ? 1 : 0;
            dst.set(NATIVE_WORD, 4 * i, bits);
        }
        return bad == 0 ? -1 : firstNonFinite(src, srcOffset, count);
    }

    /**
     * The flat index of the first non-finite value among {@code count} little-endian float32 values from byte {@code
     * srcOffset} of {@code src}, or -1 if all are finite.
     */
    static long firstNonFinite(MemorySegment src, long srcOffset, long count) {
        for (long i = 0; i < count; i++) {
            if (nonFinite(src.get(LITTLE_ENDIAN_WORD, srcOffset + 4 * i))) {
                return i;
            }
        }
        return -1;
    }

    /** The float32 at flat index {@code index} of the little-endian values from byte {@code srcOffset} of {@code src}. */
    static float valueAt(MemorySegment src, long srcOffset, long index) {
        return Float.intBitsToFloat(src.get(LITTLE_ENDIAN_WORD, srcOffset + 4 * index));
    }
}
