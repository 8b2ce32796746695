package dev.gspo.rollout.weights;

import dev.gspo.rollout.validation.InvalidRequestException;
import java.util.Locale;
import java.util.regex.Pattern;

/** The version and checksum headers of a weight push, parsed and checked for form. */
public record PushHeaders(long version, String sha256) {
    public static final String VERSION = "X-Policy-Version";
    public static final String SHA256 = "X-Content-SHA256";
    /** An adapter push: the SHA-256 of the base weights it was trained on (the replica's last full push). */
    public static final String BASE_SHA256 = "X-Base-SHA256";

    private static final Pattern HEX_64 = Pattern.compile("[0-9a-fA-F]{64}");

    public static PushHeaders parse(String version, String sha256) {
        if (version == null || version.isBlank()) {
            throw InvalidRequestException.badRequest(VERSION, "header is required");
        }
        long v;
        try {
            v = Long.parseLong(version.strip());
        } catch (NumberFormatException e) {
            throw InvalidRequestException.badRequest(VERSION, "'" + abbreviate(version) + "' is not an integer");
        }
        if (v < 0) {
            throw InvalidRequestException.badRequest(VERSION, "must be ≥ 0, got " + v);
        }
        if (sha256 == null || sha256.isBlank()) {
            throw InvalidRequestException.badRequest(SHA256, "header is required");
        }
        if (!HEX_64.matcher(sha256.strip()).matches()) {
            throw InvalidRequestException.badRequest(SHA256, "must be 64 hex digits (the SHA-256 of the body)");
        }
        return new PushHeaders(v, sha256.strip().toLowerCase(Locale.ROOT));
    }

    /** The {@link #BASE_SHA256} header of an adapter push, checked for form. */
    public static String baseSha256(String value) {
        if (value == null || value.isBlank()) {
            throw InvalidRequestException.badRequest(BASE_SHA256, "header is required");
        }
        if (!HEX_64.matcher(value.strip()).matches()) {
            throw InvalidRequestException.badRequest(
                    BASE_SHA256, "must be 64 hex digits (the SHA-256 of the base weights)");
        }
        return value.strip().toLowerCase(Locale.ROOT);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
