package dev.gspo.experiments;

import java.util.Arrays;
import java.util.Locale;

/**
 * Mean and spread of one measure over the seeds of an arm.
 *
 * <pre>
 *   mean = (1/n) Σ x_k        std = sqrt( Σ (x_k − mean)² / (n − 1) )   (Bessel; NaN when n = 1)
 * </pre>
 *
 * Non-finite values (e.g. a threshold never reached) are left out; {@code n} counts the values kept.
 */
public record Stat(double mean, double std, int n) {

    public static Stat of(double... values) {
        double[] kept = Arrays.stream(values).filter(Double::isFinite).toArray();
        int n = kept.length;
        if (n == 0) {
            return new Stat(Double.NaN, Double.NaN, 0);
        }
        double mean = Arrays.stream(kept).average().orElseThrow();
        double std = n < 2
                ? Double.NaN
                : Math.sqrt(
                        Arrays.stream(kept).map(x -> (x - mean) * (x - mean)).sum() / (n - 1));
        return new Stat(mean, std, n);
    }

    /** {@code 0.312 ± 0.021}, {@code 0.312} with one value, {@code —} with none. */
    public String format(String pattern) {
        if (n == 0) {
            return "—";
        }
        String m = String.format(Locale.ROOT, pattern, mean);
        return Double.isFinite(std) ? m + " ± " + String.format(Locale.ROOT, pattern, std) : m;
    }
}
