package dev.gspo.rollout.adapters;

import dev.gspo.rollout.validation.InvalidRequestException;
import java.util.regex.Pattern;

/** The name of a named adapter: {@value #PATTERN} (lower case, digits, '.', '_', '-'; at most 63 characters). */
public final class AdapterName {
    public static final String PATTERN = "[a-z0-9][a-z0-9._-]{0,62}";
    private static final Pattern VALID = Pattern.compile(PATTERN);

    private AdapterName() {}

    /** @throws InvalidRequestException 400 naming the value, if it is not a valid adapter name */
    public static String check(String field, String name) {
        if (name == null || !VALID.matcher(name).matches()) {
            String shown = name == null ? "null" : name.length() > 80 ? name.substring(0, 80) + "…" : name;
            throw InvalidRequestException.badRequest(
                    field,
                    "'" + shown + "' is not an adapter name: 1 to 63 characters of a-z, 0-9, '.', '_', '-', starting"
                            + " with a letter or digit");
        }
        return name;
    }
}
