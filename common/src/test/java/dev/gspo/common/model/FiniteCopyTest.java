package dev.gspo.common.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fused copy-and-check of {@link FiniteCopy} against {@link Float#isFinite} and a plain copy: every bit kept, the
 * first non-finite value found wherever it is (including the loop's tail and an unaligned source).
 */
class FiniteCopyTest {
    private static final int[] NON_FINITE = {
        0x7f800000, // +Infinity
        0xff800000, // -Infinity
        0x7fc00000, // the canonical quiet NaN
        0x7f800001, // a signalling NaN with the smallest payload
        0xffffffff, // a negative NaN with every mantissa bit set
    };
    private static final int[] FINITE = {
        0x00000000, // +0
        0x80000000, // -0
        0x00000001, // the smallest subnormal
        0x807fffff, // the most negative subnormal
        0x00800000, // the smallest normal
        0x7f7fffff, // Float.MAX_VALUE: every exponent bit but the lowest
        0xff7fffff, // -Float.MAX_VALUE
        0x7f000000, // exponent 0xfe
        0x3f800000, // 1
    };

    @Test
    void aValueIsNonFiniteExactlyWhenFloatSaysSo() {
        for (int bits : NON_FINITE) {
            assertThat(FiniteCopy.nonFinite(bits)).as(Integer.toHexString(bits)).isTrue();
        }
        for (int bits : FINITE) {
            assertThat(FiniteCopy.nonFinite(bits)).as(Integer.toHexString(bits)).isFalse();
        }
        SplittableRandom rng = new SplittableRandom(7);
        for (int n = 0; n < 1_000_000; n++) {
            int bits = rng.nextInt();
            assertThat(FiniteCopy.nonFinite(bits))
                    .as(Integer.toHexString(bits))
                    .isEqualTo(!Float.isFinite(Float.intBitsToFloat(bits)));
        }
    }

    @Test
    void finiteValuesAreCopiedBitForBitFromAnyOffset() {
        for (int offset : new int[] {0, 1, 3, 8}) {
            for (int count : new int[] {1, 7, 8, 33, 1001}) {
                int[] values = finiteValues(count, offset * 31L + count);
                byte[] body = littleEndian(values, offset);
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment dst = arena.allocate(4L * count, 4);

                    long first = FiniteCopy.copy(MemorySegment.ofArray(body), offset, dst, count);

                    assertThat(first).as("offset %d, count %d", offset, count).isEqualTo(-1);
                    assertThat(dst.toArray(ValueLayout.JAVA_INT)).containsExactly(values);
                }
            }
        }
    }

    @Test
    void theFirstNonFiniteValueIsFoundWhereverItIs() {
        for (int count : new int[] {1, 7, 8, 33, 1001}) {
            for (int at : new int[] {0, count / 2, count - 1}) {
                for (int bad : NON_FINITE) {
                    int[] values = finiteValues(count, count + at);
                    values[at] = bad;
                    byte[] body = littleEndian(values, 3);
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment dst = arena.allocate(4L * count, 4);

                        long first = FiniteCopy.copy(MemorySegment.ofArray(body), 3, dst, count);

                        assertThat(first)
                                .as("count %d, at %d, %x", count, at, bad)
                                .isEqualTo(at);
                        assertThat(Float.floatToRawIntBits(FiniteCopy.valueAt(MemorySegment.ofArray(body), 3, first)))
                                .isEqualTo(bad);
                        assertThat(dst.toArray(ValueLayout.JAVA_INT)).containsExactly(values);
                    }
                }
            }
        }
    }

    @Test
    void ofSeveralNonFiniteValuesTheLowestIndexIsReported() {
        int[] values = finiteValues(100, 1);
        values[90] = 0x7fc00000;
        values[41] = 0xff800000;
        values[77] = 0x7f800000;
        byte[] body = littleEndian(values, 0);
        try (Arena arena = Arena.ofConfined()) {
            assertThat(FiniteCopy.copy(MemorySegment.ofArray(body), 0, arena.allocate(400, 4), 100))
                    .isEqualTo(41);
        }
    }

    /** Random finite bit patterns with the edge cases of {@link #FINITE} among them. */
    private static int[] finiteValues(int count, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            int bits;
            do {
                bits = i % 3 == 0 ? FINITE[rng.nextInt(FINITE.length)] : rng.nextInt();
            } while (!Float.isFinite(Float.intBitsToFloat(bits)));
            out[i] = bits;
        }
        return out;
    }

    /** {@code values} as little-endian words after {@code offset} bytes of padding. */
    private static byte[] littleEndian(int[] values, int offset) {
        ByteBuffer b = ByteBuffer.allocate(offset + 4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.position(offset);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }
}
