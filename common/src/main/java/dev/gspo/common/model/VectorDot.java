package dev.gspo.common.model;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The dot product of {@link MatVec} with the JDK's Vector API ({@code jdk.incubator.vector}, the widest species the
 * CPU has: 16 floats with AVX-512): 4 vector accumulators of fused multiply–adds over 4·L columns per iteration, then
 * one accumulator over the remaining whole vectors, the lanes added, then the scalar tail; {@link #axpy} one FMA per
 * vector. Loaded only when the module
 * is in the boot layer ({@code --add-modules jdk.incubator.vector}); {@link MatVec#KERNEL} falls back to the scalar
 * kernel otherwise.
 */
final class VectorDot implements MatVec.Dot {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int from, int n) {
        FloatVector a0 = FloatVector.zero(SPECIES);
        FloatVector a1 = FloatVector.zero(SPECIES);
        FloatVector a2 = FloatVector.zero(SPECIES);
        FloatVector a3 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            long o = offset + (long) i * Float.BYTES;
            int k = from + i;
            a0 = FloatVector.fromMemorySegment(SPECIES, w, o, ORDER).fma(FloatVector.fromArray(SPECIES, x, k), a0);
            a1 = FloatVector.fromMemorySegment(SPECIES, w, o + 4L * L, ORDER)
                    .fma(FloatVector.fromArray(SPECIES, x, k + L), a1);
            a2 = FloatVector.fromMemorySegment(SPECIES, w, o + 8L * L, ORDER)
                    .fma(FloatVector.fromArray(SPECIES, x, k + 2 * L), a2);
            a3 = FloatVector.fromMemorySegment(SPECIES, w, o + 12L * L, ORDER)
                    .fma(FloatVector.fromArray(SPECIES, x, k + 3 * L), a3);
        }
        for (; i + L <= n; i += L) {
            a0 = FloatVector.fromMemorySegment(SPECIES, w, offset + (long) i * Float.BYTES, ORDER)
                    .fma(FloatVector.fromArray(SPECIES, x, from + i), a0);
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += w.get(MatVec.F32, offset + (long) i * Float.BYTES) * x[from + i];
        }
        return s;
    }

    @Override
    public void axpy(float a, MemorySegment w, long offset, float[] y, int from, int n) {
        FloatVector av = FloatVector.broadcast(SPECIES, a);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromMemorySegment(SPECIES, w, offset + (long) i * Float.BYTES, ORDER)
                    .fma(av, FloatVector.fromArray(SPECIES, y, from + i))
                    .intoArray(y, from + i);
        }
        for (; i < n; i++) {
            y[from + i] += a * w.get(MatVec.F32, offset + (long) i * Float.BYTES);
        }
    }

    @Override
    public String toString() {
        return "Vector API, " + SPECIES;
    }
}
