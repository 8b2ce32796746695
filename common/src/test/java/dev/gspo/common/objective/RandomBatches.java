package dev.gspo.common.objective;

import dev.gspo.common.objective.ObjectiveHarness.Inputs;
import java.util.Random;

/** Seeded random batches: leading prompt positions and trailing padding masked, NaN/−inf there. */
final class RandomBatches {

    private RandomBatches() {}

    /**
     * @param seqScale std of a per-sequence shift of new vs old log-probs
     * @param tokScale std of the per-token noise on top of it
     */
    static Inputs draw(long seed, int b, int t, double seqScale, double tokScale) {
        Random rnd = new Random(seed);
        float[][] mask = new float[b][t];
        float[][] oldLp = new float[b][t];
        float[][] newLp = new float[b][t];
        float[] adv = new float[b];
        for (int i = 0; i < b; i++) {
            int prompt = rnd.nextInt(3);
            int len = 1 + rnd.nextInt(t - prompt);
            double shift = rnd.nextGaussian() * seqScale;
            for (int j = 0; j < t; j++) {
                boolean valid = j >= prompt && j < prompt + len;
                mask[i][j] = valid ? 1 : 0;
                float o = (float) (-0.05 - 5 * rnd.nextDouble());
                oldLp[i][j] = valid ? o : Float.NaN;
                newLp[i][j] = valid ? (float) (o + shift + rnd.nextGaussian() * tokScale) : Float.NEGATIVE_INFINITY;
            }
            adv[i] = (float) rnd.nextGaussian();
        }
        return Inputs.of(newLp, oldLp, mask, adv);
    }

    /** The sequence advantages of {@code in} repeated over each row, as [B,T]. */
    static float[][] repeatPerToken(Inputs in) {
        float[][] a = new float[in.seqAdv().length][in.mask()[0].length];
        for (int i = 0; i < a.length; i++) {
            java.util.Arrays.fill(a[i], in.seqAdv()[i]);
        }
        return a;
    }
}
