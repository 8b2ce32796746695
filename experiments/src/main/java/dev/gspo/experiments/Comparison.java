package dev.gspo.experiments;

import java.util.Arrays;
import java.util.Locale;

/**
 * GSPO against GRPO on one measure, paired by seed: both arms of a seed draw the same prompts and rollout seeds, so
 * the per-seed difference removes what the seed alone decides (how hard its prompts are).
 *
 * <pre>
 *   d_s = x_GSPO,s − x_GRPO,s   for each seed s where both are finite          (n of them)
 *   d̄  = mean d_s,   SE = std(d_s) / √n   (std with n − 1)
 *   95% interval d̄ ± t_{n−1} · SE   (Student's t, two-sided: 12.71, 4.30, 3.18, 2.78, … → 1.96)
 *   interval contains 0 → within noise; otherwise the better side (higher, or lower for steps), called marginal
 *   when |d̄| &lt; 1.5 · t · SE
 * </pre>
 *
 * With fewer than two pairs there is no spread and no verdict. {@code gspo} and {@code grpo} are the unpaired
 * summaries shown beside it; {@code pattern} formats the measure's numbers (e.g. {@code %.3f}).
 */
public record Comparison(
        String measure, String pattern, Stat gspo, Stat grpo, double[] differences, boolean higherIsBetter) {
    private static final double[] T95 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228};

    public Comparison {
        differences = Arrays.stream(differences).filter(Double::isFinite).toArray();
    }

    public int pairs() {
        return differences.length;
    }

    /** d̄, NaN without pairs. */
    public double difference() {
        return Arrays.stream(differences).average().orElse(Double.NaN);
    }

    /** t_{n−1} · SE: the half-width of the 95% interval of d̄; NaN with fewer than two pairs. */
    public double halfWidth() {
        Stat d = Stat.of(differences);
        return d.n() < 2 ? Double.NaN : t95(d.n() - 1) * d.std() / Math.sqrt(d.n());
    }

    /** {@code GSPO better}, {@code GRPO better}, {@code within noise}, or why there is no verdict. */
    public String verdict() {
        if (!judged()) {
            return pairs() == 0 ? "no pair of finite values" : "one pair: no spread, no verdict";
        }
        double d = difference();
        double h = halfWidth();
        String ci = "d = " + String.format(Locale.ROOT, pattern.replace("%", "%+"), d) + " ± "
                + String.format(Locale.ROOT, pattern, h);
        if (Math.abs(d) <= h) {
            return "within noise (" + ci + ")";
        }
        String marginal = Math.abs(d) < 1.5 * h ? ", marginal: the interval barely excludes 0" : "";
        return (higherIsBetter == d > 0 ? "GSPO" : "GRPO") + " better (" + ci + marginal + ")";
    }

    /** Whether there are two pairs or more, so that {@link #verdict()} can judge. */
    public boolean judged() {
        return pairs() >= 2;
    }

    /** True unless GRPO is better beyond the noise (what "GSPO is at least as good" needs). */
    public boolean gspoAtLeastAsGood() {
        return !verdict().startsWith("GRPO");
    }

    /** Two-sided 95% quantile of Student's t; beyond the table 1.96 + 2.5/dof (within 0.02 of the exact value). */
    static double t95(int dof) {
        return dof <= T95.length ? T95[dof - 1] : 1.96 + 2.5 / dof;
    }
}
