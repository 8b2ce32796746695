package dev.gspo.common.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/** Where π_old comes from (docs/ALGORITHM.md §9; the paper's claim 4, §14). */
public enum OldLogprobs {
    /** the log-probs the rollout engine returned with each sample (the paper's shortcut: no recomputation) */
    ROLLOUT,
    /** recomputed by the trainer under θ before the first update of the step */
    RECOMPUTE;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static OldLogprobs fromName(String name) {
        for (OldLogprobs o : values()) {
            if (o.wireName().equals(name)) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown oldLogprobs '" + name + "'; known: "
                + Arrays.stream(values()).map(OldLogprobs::wireName).toList());
    }
}
