package dev.gspo.optimizer.experiment;

import java.util.Locale;

/**
 * GSPO against GRPO on one measure, judged against the seed-to-seed noise:
 *
 * <pre>
 *   d  = mean_GSPO − mean_GRPO
 *   SE = sqrt( std_GSPO² / n_GSPO + std_GRPO² / n_GRPO )       (standard error of d)
 *   |d| ≤ 2·SE → no difference resolvable with these seeds; otherwise the better side (higher, or lower for steps)
 * </pre>
 *
 * With fewer than two values on a side there is no spread and no verdict.
 */
public record Comparison(String measure, Stat gspo, Stat grpo, boolean higherIsBetter) {

    public double difference() {
        return gspo.mean() - grpo.mean();
    }

    public double standardError() {
        return Math.sqrt(gspo.std() * gspo.std() / gspo.n() + grpo.std() * grpo.std() / grpo.n());
    }

    /** {@code gspo better}, {@code grpo better}, {@code within noise}, or why there is no verdict. */
    public String verdict() {
        if (gspo.n() == 0 || grpo.n() == 0) {
            return "no data on one side";
        }
        if (gspo.n() < 2 || grpo.n() < 2) {
            return "one value per side: no spread, no verdict";
        }
        double d = difference();
        double se = standardError();
        if (Math.abs(d) <= 2 * se) {
            return String.format(Locale.ROOT, "within noise (|d| = %.3g ≤ 2·SE = %.3g)", Math.abs(d), 2 * se);
        }
        boolean gspoBetter = higherIsBetter == d > 0;
        return String.format(Locale.ROOT, "%s better (|d| = %.3g > 2·SE = %.3g)", gspoBetter ? "GSPO" : "GRPO",
                Math.abs(d), 2 * se);
    }

    /** Whether both sides have a spread, so that {@link #verdict()} can judge. */
    public boolean judged() {
        return gspo.n() >= 2 && grpo.n() >= 2;
    }

    /** True unless GRPO is better beyond the noise (what "GSPO is at least as good" needs). */
    public boolean gspoAtLeastAsGood() {
        return !verdict().startsWith("GRPO");
    }
}
