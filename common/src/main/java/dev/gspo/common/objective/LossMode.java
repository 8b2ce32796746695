package dev.gspo.common.objective;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which surrogate objective the optimizer maximises (docs/ALGORITHM.md §4–§6). The wire/config names are
 * {@code gspo}, {@code gspo-token} and {@code grpo}.
 */
public enum LossMode {

    /** Sequence-level ratio s_i, one clip decision per response, mean over sequences. */
    GSPO("gspo", ClipRange.GSPO_PAPER),

    /**
     * Token-level form of GSPO: s_{i,t} = sg[s_i]·π_θ/sg[π_θ]; same value and (for per-sequence
     * advantages) same gradient as {@link #GSPO}, but accepts per-token advantages.
     */
    GSPO_TOKEN("gspo-token", ClipRange.GSPO_PAPER),

    /** Token-level ratio w_{i,t}, per-sequence token mean, then mean over sequences. */
    GRPO("grpo", ClipRange.GRPO_PAPER);

    private final String wireName;
    private final ClipRange paperClipRange;

    LossMode(String wireName, ClipRange paperClipRange) {
        this.wireName = wireName;
        this.paperClipRange = paperClipRange;
    }

    /** The name used in configs and on the wire ({@code gspo}, {@code gspo-token}, {@code grpo}). */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** The paper's preset: 3e-4/4e-4 for GSPO and GSPO-token, 0.2/0.27 for GRPO (docs/ALGORITHM.md §7). */
    public ClipRange paperClipRange() {
        return paperClipRange;
    }

    /** True when the importance ratio is one value per sequence (s_i), false when per token. */
    public boolean sequenceLevelRatio() {
        return this != GRPO;
    }

    /**
     * Parses a wire name, case-insensitively and ignoring surrounding blanks.
     *
     * @throws IllegalArgumentException naming the value and the accepted names
     */
    @JsonCreator
    public static LossMode fromName(String name) {
        if (name != null) {
            String n = name.strip().toLowerCase(Locale.ROOT);
            for (LossMode m : values()) {
                if (m.wireName.equals(n)) {
                    return m;
                }
            }
        }
        throw new IllegalArgumentException("unknown loss mode '" + name + "'; expected one of "
                + Arrays.stream(values()).map(LossMode::wireName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return wireName;
    }
}
