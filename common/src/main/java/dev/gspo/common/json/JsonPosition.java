package dev.gspo.common.json;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;

/**
 * Where a JSON parse failed, for messages that must not quote the input: Jackson's own messages repeat the text they
 * stumbled on, and a file named by a request may not be the JSON it was said to be (a key, a password file).
 */
public final class JsonPosition {
    private JsonPosition() {}

    /** {@code " (line 3, column 17)"}, or empty when the parser did not say. */
    public static String of(JacksonException e) {
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 1
                ? ""
                : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
}
