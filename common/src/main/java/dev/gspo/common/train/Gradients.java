package dev.gspo.common.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.Collection;

/**
 * Whole-model gradient operations. DJL's {@code Optimizer.clipGrad} clips element by element; training a transformer
 * needs the global-norm rule, so it is written here:
 *
 * <pre>
 *   ‖g‖ = √(Σ_p Σ_i g_{p,i}²)          over every parameter p
 *   g  ← g · min(1, c / (‖g‖ + 1e-6))   when ‖g‖ &gt; c
 * </pre>
 */
public final class Gradients {
    private Gradients() {}

    /**
     * ‖g‖ over all parameters; NaN or ∞ when any gradient is not finite.
     *
     * <pre>
     *   n_p = ‖g_p‖₂              one float32 reduction per parameter, on the device (no copy, no host sync)
     *   ‖g‖ = √(Σ_p n_p²)         the n_p read back together (one sync), summed in float64 on the host
     * </pre>
     * A float32 n_p overflows to ∞ only when Σ g² of that parameter exceeds ~3.4·10³⁸ (some |g| ≳ 10¹⁹); then the
     * norm is recomputed in float64 from the gradients themselves, so a finite gradient is never reported as ∞.
     */
    public static double globalNorm(Collection<NDArray> params) {
        if (params.isEmpty()) {
            return 0;
        }
        float[] perParameter;
        try (NDScope ignored = new NDScope()) {
            NDList norms = new NDList(params.size());
            for (NDArray p : params) {
                norms.add(p.getGradient().norm());
            }
            perParameter = NDArrays.stack(norms).toFloatArray();
        }
        double sumSquares = 0;
        for (float n : perParameter) {
            if (n == Float.POSITIVE_INFINITY) {
                return globalNormFloat64(params);
            }
            sumSquares += (double) n * n;
        }
        return Math.sqrt(sumSquares);
    }

    /** ‖g‖ with every square and sum in float64 (the slow path for gradients whose float32 norm overflows). */
    static double globalNormFloat64(Collection<NDArray> params) {
        double sumSquares = 0;
        try (NDScope ignored = new NDScope()) {
            for (NDArray p : params) {
                sumSquares += p.getGradient()
                        .toType(DataType.FLOAT64, false)
                        .square()
                        .sum()
                        .getDouble();
            }
        }
        return Math.sqrt(sumSquares);
    }

    /** Scales gradients in place so that their global norm is at most {@code maxNorm}; returns the norm before. */
    public static double clipGlobalNorm(Collection<NDArray> params, double maxNorm) {
        double norm = globalNorm(params);
        if (Double.isFinite(norm) && maxNorm > 0 && norm > maxNorm) {
            double scale = maxNorm / (norm + 1e-6);
            try (NDScope ignored = new NDScope()) {
                for (NDArray p : params) {
                    p.getGradient().muli(scale);
                }
            }
        }
        return norm;
    }

    /**
     * Sets every gradient to 0 (gradients accumulate across backward passes in PyTorch). Written as an assignment,
     * not {@code g − g} or {@code g · 0}, so that NaN gradients from a skipped step are cleared too.
     */
    public static void zero(Collection<NDArray> params) {
        try (NDScope ignored = new NDScope()) {
            for (NDArray p : params) {
                p.getGradient().set(new NDIndex("..."), 0f);
            }
        }
    }
}
