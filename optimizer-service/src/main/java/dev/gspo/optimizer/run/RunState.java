package dev.gspo.optimizer.run;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The lifecycle of a run: running → completed | failed | stopped. */
public enum RunState {
    RUNNING,
    COMPLETED,
    FAILED,
    STOPPED;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
