package dev.gspo.common.objective;

/**
 * Share of samples whose clipped branch is in effect, split by side ({@link ClipRange#clipsLow},
 * {@link ClipRange#clipsHigh}); {@code total = low + high} (a sample cannot be clipped on both
 * sides). Each in [0, 1].
 */
public record ClipFraction(double low, double high, double total) {

    public static ClipFraction of(double low, double high) {
        return new ClipFraction(low, high, low + high);
    }
}
