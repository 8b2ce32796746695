package dev.gspo.common.objective;

/**
 * Group-relative advantages of a rollout batch.
 *
 * @param advantages         Â, one per sample, in the order of the rewards
 * @param zeroVarianceGroups groups whose rewards were all equal (all their Â are exactly 0)
 * @param groups             number of groups
 */
public record Advantages(double[] advantages, int zeroVarianceGroups, int groups) {

    public Advantages {
        advantages = advantages.clone();
    }

    @Override
    public double[] advantages() {
        return advantages.clone();
    }

    /** Â as float32, e.g. for {@code manager.create(float[])}. */
    public float[] toFloatArray() {
        float[] f = new float[advantages.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) advantages[i];
        }
        return f;
    }

    /** zeroVarianceGroups / groups: the share of groups that carry no learning signal. */
    public double zeroVarianceShare() {
        return (double) zeroVarianceGroups / groups;
    }
}
