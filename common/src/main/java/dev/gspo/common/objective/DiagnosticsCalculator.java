package dev.gspo.common.objective;

/**
 * Computes {@link LossDiagnostics} in double precision from host copies of the masked batch
 * (row-major [B,T] arrays). Definitions are documented on {@link LossDiagnostics}.
 */
final class DiagnosticsCalculator {

    private final ClipRange clip;
    private final int b;
    private final int t;

    DiagnosticsCalculator(ClipRange clip, int sequences, int length) {
        this.clip = clip;
        this.b = sequences;
        this.t = length;
    }

    /**
     * @param valid       [B,T]
     * @param ratio       [B] (sequence ratios) or [B,T] (token ratios)
     * @param advantages  [B] or [B,T]
     * @param logRatio    [B,T] log π_θ − log π_old (0 where masked)
     * @param entropy     [B,T] or null
     */
    LossDiagnostics compute(
            boolean[] valid,
            float[] ratio,
            float[] advantages,
            float[] logRatio,
            float[] entropy,
            double loss,
            double klToRef,
            double zeroVarianceShare) {
        boolean ratioPerToken = ratio.length == b * t;
        boolean advPerToken = advantages.length == b * t;
        long tokens = 0;
        double seqLow = 0, seqHigh = 0, tokLow = 0, tokHigh = 0;
        double oldMinusNew = 0, entropySum = 0;
        double ratioSum = 0, ratioMin = Double.POSITIVE_INFINITY, ratioMax = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < b; i++) {
            int len = 0, low = 0, high = 0;
            for (int j = 0; j < t; j++) {
                int k = i * t + j;
                if (!valid[k]) {
                    continue;
                }
                double r = ratioPerToken ? ratio[k] : ratio[i];
                double a = advPerToken ? advantages[k] : advantages[i];
                len++;
                low += clip.clipsLow(r, a) ? 1 : 0;
                high += clip.clipsHigh(r, a) ? 1 : 0;
                oldMinusNew -= logRatio[k];
                if (entropy != null) {
                    entropySum += entropy[k];
                }
                if (ratioPerToken) {
                    ratioSum += r;
                    ratioMin = Math.min(ratioMin, r);
                    ratioMax = Math.max(ratioMax, r);
                }
            }
            if (!ratioPerToken) {
                ratioSum += ratio[i];
                ratioMin = Math.min(ratioMin, ratio[i]);
                ratioMax = Math.max(ratioMax, ratio[i]);
            }
            tokens += len;
            tokLow += low;
            tokHigh += high;
            seqLow += (double) low / len;
            seqHigh += (double) high / len;
        }
        long ratioCount = ratioPerToken ? tokens : b;
        return new LossDiagnostics(
                loss,
                ClipFraction.of(seqLow / b, seqHigh / b),
                ClipFraction.of(tokLow / tokens, tokHigh / tokens),
                new RatioStats(ratioSum / ratioCount, ratioMin, ratioMax),
                oldMinusNew / tokens,
                klToRef,
                entropy == null ? Double.NaN : entropySum / tokens,
                zeroVarianceShare,
                (double) tokens / b,
                b,
                tokens);
    }
}
