package dev.gspo.experiments;

import dev.gspo.common.objective.ClipRange;
import dev.gspo.common.objective.LossMode;
import java.math.BigDecimal;
import java.math.MathContext;

/**
 * One arm of the experiment: a loss mode with a clip range, under a named setting ({@code paper}, {@code tuned} or
 * {@code sweep}).
 */
public record Arm(LossMode mode, String setting, ClipRange clip) {

    /** e.g. {@code gspo (paper)}. */
    public String label() {
        return mode.wireName() + " (" + setting + ")";
    }

    /**
     * Whether the runs replay π_old's MoE routing: the settings {@link MoeExperiment#REPLAY} and
     * {@link MoeExperiment#HARSH_REPLAY} (every setting whose name ends in {@code replay}).
     */
    public boolean routingReplay() {
        return setting.endsWith("replay");
    }

    /** A plot legend: mode, "+ replay" when replaying, range; e.g. {@code grpo + replay [0.2, 0.27]}. */
    public String legend() {
        return mode.wireName() + (routingReplay() ? " + replay " : " ") + clipText();
    }

    /** e.g. {@code [0.0003, 0.0004]}, {@code [0.2, 0.27]}: three significant digits, plain notation. */
    public String clipText() {
        return "[" + plain(clip.low()) + ", " + plain(clip.high()) + "]";
    }

    static String plain(double x) {
        return new BigDecimal(x).round(new MathContext(3)).stripTrailingZeros().toPlainString();
    }

    /** What identifies a run's outcome: two arms with the same mode and range train identically from one seed. */
    public String runKey() {
        return mode.wireName() + "@" + clip.low() + "/" + clip.high() + (routingReplay() ? "+replay" : "");
    }

    /**
     * A candidate range of the sweep: ε_low = {@code epsLow} and ε_high scaled with the paper's asymmetry of the
     * mode, ε_high = ε_low · (ε_high,paper / ε_low,paper) (4/3 for GSPO, 1.35 for GRPO), so the paper's preset is
     * the candidate ε_low = 3e-4 (GSPO) or 0.2 (GRPO).
     */
    public static ClipRange scaledRange(LossMode mode, double epsLow) {
        ClipRange paper = mode.paperClipRange();
        return new ClipRange(epsLow, epsLow * paper.high() / paper.low());
    }
}
