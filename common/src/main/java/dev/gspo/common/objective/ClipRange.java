package dev.gspo.common.objective;

/**
 * Asymmetric clip range for the importance ratio: a ratio r is clipped to [1 − low, 1 + high].
 *
 * <p>The clipped branch of {@code min(r·Â, clip(r, 1−low, 1+high)·Â)} is the one in effect iff
 *
 * <pre>
 *   high side:  Â &gt; 0 and r &gt; 1 + high
 *   low side:   Â &lt; 0 and r &lt; 1 − low
 * </pre>
 *
 * (docs/ALGORITHM.md §7, (A10)). With Â = 0 neither side is active.
 *
 * @param low  ε_low, in [0, 1)
 * @param high ε_high, ≥ 0
 */
public record ClipRange(double low, double high) {

    /** GSPO paper preset ε_low = 3e-4, ε_high = 4e-4 (also used by GSPO-token). */
    public static final ClipRange GSPO_PAPER = new ClipRange(3e-4, 4e-4);

    /** GRPO baseline preset from the GSPO paper: ε_low = 0.2, ε_high = 0.27. */
    public static final ClipRange GRPO_PAPER = new ClipRange(0.2, 0.27);

    public ClipRange {
        if (!(low >= 0 && low < 1)) {
            throw new IllegalArgumentException("clip low must be in [0, 1), got " + low);
        }
        if (!(high >= 0 && Double.isFinite(high))) {
            throw new IllegalArgumentException("clip high must be finite and >= 0, got " + high);
        }
    }

    /** Symmetric range ε_low = ε_high = eps. */
    public static ClipRange symmetric(double eps) {
        return new ClipRange(eps, eps);
    }

    /** 1 − ε_low. */
    public double lowerBound() {
        return 1.0 - low;
    }

    /** 1 + ε_high. */
    public double upperBound() {
        return 1.0 + high;
    }

    /** Â &gt; 0 and r &gt; 1 + ε_high: the clipped (constant) branch is in effect on the high side. */
    public boolean clipsHigh(double ratio, double advantage) {
        return advantage > 0 && ratio > upperBound();
    }

    /** Â &lt; 0 and r &lt; 1 − ε_low: the clipped (constant) branch is in effect on the low side. */
    public boolean clipsLow(double ratio, double advantage) {
        return advantage < 0 && ratio < lowerBound();
    }
}
