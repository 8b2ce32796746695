package dev.gspo.rollout.adapters;

import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * A named-adapter request that cannot be served, as an RFC 9457 problem ({@link AdapterProblemHandler}): its status,
 * title, a {@code reason} token and extra properties (the served version, the limit, the adapters loaded).
 */
public final class AdapterProblem extends RuntimeException {
    private final HttpStatus status;
    private final String title;
    private final String reason;
    private final Map<String, Object> properties;

    AdapterProblem(HttpStatus status, String title, String reason, String detail, Map<String, Object> properties) {
        super(detail);
        this.status = status;
        this.title = title;
        this.reason = reason;
        this.properties = Map.copyOf(properties);
    }

    static AdapterProblem unknown(String name) {
        return new AdapterProblem(
                HttpStatus.NOT_FOUND,
                "Unknown adapter",
                "unknown_adapter",
                "no adapter named '" + name + "' is loaded on this replica (GET /v1/adapters lists them)",
                Map.of("adapter", name));
    }

    static AdapterProblem stale(String name, long pushed, long served) {
        return new AdapterProblem(
                HttpStatus.CONFLICT,
                "Stale adapter version",
                "stale_version",
                "X-Policy-Version " + pushed + " is not ahead of version " + served + " of adapter '" + name
                        + "': versions only move forward",
                Map.of("adapter", name, "policyVersion", served));
    }

    public static AdapterProblem behind(String name, long required, long served) {
        return new AdapterProblem(
                HttpStatus.CONFLICT,
                "Policy version behind",
                "behind",
                "minPolicyVersion " + required + " is ahead of version " + served + " of adapter '" + name + "'",
                Map.of("adapter", name, "policyVersion", served));
    }

    static AdapterProblem tooMany(String name, int limit) {
        return new AdapterProblem(
                HttpStatus.CONFLICT,
                "Too many adapters",
                "too_many_adapters",
                "cannot load adapter '" + name + "': " + limit + " adapters are loaded, the limit "
                        + "gspo.rollout.max-adapters is " + limit + " (DELETE /v1/adapters/{name} one first)",
                Map.of("adapter", name, "maxAdapters", limit));
    }

    static AdapterProblem adaptersLoaded(java.util.List<String> names) {
        return new AdapterProblem(
                HttpStatus.CONFLICT,
                "Adapters loaded",
                "adapters_loaded",
                "the served weights cannot change while named adapters trained on them are loaded: " + names
                        + "; DELETE /v1/adapters/{name} each of them first",
                Map.of("adapters", names));
    }

    /** A request's adapter version was loaded for other base weights than the decoder now serves. */
    public static AdapterProblem baseChanged(String name, String adapterBase, String servedBase) {
        return new AdapterProblem(
                HttpStatus.CONFLICT,
                "Base changed",
                "base_mismatch",
                "adapter '" + name + "' was loaded for base weights " + adapterBase + " but this replica now serves "
                        + servedBase + ": push the adapter again",
                Map.of("adapter", name));
    }

    public HttpStatus status() {
        return status;
    }

    public String title() {
        return title;
    }

    public String reason() {
        return reason;
    }

    public Map<String, Object> properties() {
        return properties;
    }
}
