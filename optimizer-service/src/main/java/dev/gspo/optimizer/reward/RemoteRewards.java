package dev.gspo.optimizer.reward;

import dev.gspo.common.reward.HttpRewardSpec;
import dev.gspo.common.reward.RewardSpec;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the clients of a run's {@code http} reward functions and checks them before the run starts. Holds the HTTP
 * client (with the TLS settings of {@code gspo.optimizer.reward.ssl-bundle}) and the bearer tokens by secret name
 * ({@code gspo.optimizer.reward.tokens.<name>}); a run config only ever names a secret.
 */
public final class RemoteRewards {
    private static final Duration BACKOFF = Duration.ofMillis(200);

    private final HttpClient http;
    private final Map<String, String> tokens;
    private final Duration backoff;

    /** @param tokens bearer token by secret name */
    public RemoteRewards(HttpClient http, Map<String, String> tokens) {
        this(http, tokens, BACKOFF);
    }

    RemoteRewards(HttpClient http, Map<String, String> tokens, Duration backoff) {
        this.http = http;
        this.tokens = Map.copyOf(tokens);
        this.backoff = backoff;
    }

    /** For a process without remote rewards (the experiments, the benchmarks): an {@code http} function is refused. */
    public static RemoteRewards unavailable() {
        return new RemoteRewards(null, Map.of());
    }

    /**
     * The client of one {@code http} function (a spec with defaults applied and no problems).
     *
     * @throws IllegalArgumentException if its secret is not configured, or this process has no HTTP client for rewards
     */
    public RemoteRewardClient client(HttpRewardSpec spec) {
        if (http == null) {
            throw new IllegalArgumentException("reward function '" + spec.name()
                    + "' (fn http) needs the optimizer-service's reward client; this process has none");
        }
        String secret = spec.tokenSecret();
        if (secret != null && !hasToken(secret)) {
            throw new IllegalArgumentException(missingSecret(spec));
        }
        return new RemoteRewardClient(spec, http, secret == null ? null : tokens.get(secret), backoff);
    }

    /**
     * What stops the {@code http} functions of a run (specs with defaults applied and no problems) from working, each
     * naming its field: a secret that is not configured ({@code rewards[i].tokenSecret}), a server that does not
     * answer an empty batch as the contract says ({@code rewards[i].url}: unreachable, refused, malformed). Empty when
     * all is well.
     */
    public List<String> check(List<RewardSpec> specs) {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            if (!(specs.get(i) instanceof HttpRewardSpec spec)) {
                continue;
            }
            String path = "rewards[" + i + "]";
            if (http == null) {
                problems.add(path + ".fn: 'http' is not available in this process");
            } else if (spec.tokenSecret() != null && !hasToken(spec.tokenSecret())) {
                problems.add(path + ".tokenSecret: " + missingSecret(spec));
            } else {
                String wrong = client(spec).probe();
                if (wrong != null) {
                    problems.add(path + ".url: " + wrong);
                }
            }
        }
        return problems;
    }

    private boolean hasToken(String secret) {
        String token = tokens.get(secret);
        return token != null && !token.isBlank();
    }

    private static String missingSecret(HttpRewardSpec spec) {
        String secret = spec.tokenSecret();
        return "no secret '" + secret + "' is configured; set gspo.optimizer.reward.tokens." + secret
                + " (environment: GSPO_OPTIMIZER_REWARD_TOKENS_" + secret.toUpperCase(java.util.Locale.ROOT) + ")";
    }
}
