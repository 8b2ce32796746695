package dev.gspo.optimizer.config;

import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code gspo.optimizer.reward.*}: what the client of remote reward servers ({@code "fn": "http"}) needs from the
 * deployment rather than from a run config. Every default is in the README.
 *
 * @param sslBundle name of a Spring SSL bundle ({@code spring.ssl.bundle.*}) whose trust material (and key, for mutual
 *                  TLS) the client uses for {@code https} reward URLs; empty = the JDK's default trust store. The same
 *                  mechanism as {@code gspo.optimizer.rollout-ssl-bundle} (docs/TLS.md)
 * @param tokens    bearer tokens by secret name: {@code gspo.optimizer.reward.tokens.grader=…} (environment:
 *                  {@code GSPO_OPTIMIZER_REWARD_TOKENS_GRADER}) is what a function with {@code "tokenSecret": "grader"}
 *                  sends. The run config names the secret, never the token
 */
@ConfigurationProperties("gspo.optimizer.reward")
public record RewardProperties(@DefaultValue("") String sslBundle, Map<String, String> tokens) {

    public RewardProperties {
        tokens = tokens == null ? Map.of() : Map.copyOf(tokens);
    }

    /** The secrets' names only. */
    @Override
    public String toString() {
        return "RewardProperties[sslBundle=" + sslBundle + ", tokens=" + new java.util.TreeSet<>(tokens.keySet()) + "]";
    }
}
