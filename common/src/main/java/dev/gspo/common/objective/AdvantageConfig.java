package dev.gspo.common.objective;

/**
 * How {@link GroupAdvantages} normalises rewards within a group.
 *
 * @param scaleByStd true: Â = (r − mean)/(std + eps) (GRPO/GSPO default); false: Â = r − mean
 *                   (Dr. GRPO-style, no std scaling)
 * @param eps        added to the Bessel-corrected std; default {@value #DEFAULT_EPS}, the low end
 *                   of the 1e-6…1e-4 RL trainers use: it only matters for nearly-equal rewards, and a
 *                   small value keeps Â where the std puts it (G = 4: ±0.87 with two right answers,
 *                   +1.5 / −0.5 with one) instead of shrinking it
 */
public record AdvantageConfig(boolean scaleByStd, double eps) {

    public static final double DEFAULT_EPS = 1e-6;

    public AdvantageConfig {
        if (!(eps > 0 && Double.isFinite(eps))) {
            throw new IllegalArgumentException("eps must be finite and > 0, got " + eps);
        }
    }

    /** (r − mean)/(std + 1e-6). */
    public static AdvantageConfig defaults() {
        return new AdvantageConfig(true, DEFAULT_EPS);
    }

    /** r − mean, no std scaling. */
    public static AdvantageConfig meanCentredOnly() {
        return new AdvantageConfig(false, DEFAULT_EPS);
    }
}
