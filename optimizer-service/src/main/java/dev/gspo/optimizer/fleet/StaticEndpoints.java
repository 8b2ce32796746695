package dev.gspo.optimizer.fleet;

import java.net.URI;
import java.util.List;

/** A fixed list of replicas ({@code gspo.optimizer.rollout-urls}). */
public record StaticEndpoints(List<URI> current) implements RolloutEndpoints {
    public StaticEndpoints {
        if (current.isEmpty()) {
            throw new IllegalArgumentException("at least one rollout URL is needed");
        }
        current = List.copyOf(current);
    }

    public static StaticEndpoints parse(List<String> urls) {
        return new StaticEndpoints(urls.stream()
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .map(s -> URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s))
                .toList());
    }
}
