package dev.gspo.common.reward;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code {"fn": "http", "url": "…"}}: a reward server the user runs (remote reward contract v1, README "Rewards" and
 * {@code docs/reward-api/v1.schema.json}). The optimizer-service is its client: it sends each step's responses in
 * batches and fails the step when the server fails.
 *
 * <p>The config never holds the token itself: it is echoed by {@code GET /v1/runs/{id}}, kept in every checkpoint and
 * printed in the report. {@code tokenSecret} names a secret the optimizer-service holds
 * ({@code gspo.optimizer.reward.tokens.<tokenSecret>}), so a resumed run finds it again and nothing that shows the
 * config shows the token.
 *
 * @param url            the endpoint, {@code http://} or {@code https://}, required; no user-info (credentials go in a
 *                       secret); https is verified against {@code gspo.optimizer.reward.ssl-bundle} or the JDK's trust
 *                       store
 * @param tokenSecret    the name of the bearer token to send ({@code Authorization: Bearer …}), lower-case letters and
 *                       digits; none: no {@code Authorization} header
 * @param timeoutSeconds per request (default 30, at most 600)
 * @param batchSize      responses per request (default 64, 1 to 4096)
 * @param maxConcurrency requests in flight at once (default 4, 1 to 64)
 * @param maxAttempts    tries per batch; connection errors, timeouts, 408, 429 and 5xx are tried again with backoff
 *                       (default 3, 1 to 10)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HttpRewardSpec(
        String name,
        Double weight,
        String url,
        String tokenSecret,
        Double timeoutSeconds,
        Integer batchSize,
        Integer maxConcurrency,
        Integer maxAttempts)
        implements RewardSpec {
    public static final String FN = "http";
    /** What a secret's name may be: it is also the tail of a property name and of an environment variable. */
    public static final Pattern SECRET_NAME = Pattern.compile("[a-z0-9]{1,64}");

    @Override
    public String fn() {
        return FN;
    }

    @Override
    public HttpRewardSpec withDefaults(int maxNewTokens) {
        return new HttpRewardSpec(
                RewardChecks.or(name, FN),
                RewardChecks.or(weight, 1.0),
                url,
                tokenSecret,
                RewardChecks.or(timeoutSeconds, 30.0),
                RewardChecks.or(batchSize, 64),
                RewardChecks.or(maxConcurrency, 4),
                RewardChecks.or(maxAttempts, 3));
    }

    @Override
    public List<String> problems(String path) {
        List<String> p = new ArrayList<>();
        String urlProblem = urlProblem(url);
        if (urlProblem != null) {
            p.add(path + ".url: " + urlProblem);
        }
        if (tokenSecret != null && !SECRET_NAME.matcher(tokenSecret).matches()) {
            p.add(path + ".tokenSecret: the name of a secret (gspo.optimizer.reward.tokens.<name>), 1 to 64 lower-case "
                    + "letters and digits; the token itself never goes in the run config");
        }
        RewardChecks.positive(p, path + ".timeoutSeconds", timeoutSeconds, 600);
        RewardChecks.between(p, path + ".batchSize", batchSize, 1, 4096);
        RewardChecks.between(p, path + ".maxConcurrency", maxConcurrency, 1, 64);
        RewardChecks.between(p, path + ".maxAttempts", maxAttempts, 1, 10);
        return p;
    }

    /** The endpoint as a URI; only for a spec without {@link #problems}. */
    public URI uri() {
        return URI.create(url);
    }

    private static String urlProblem(String url) {
        if (url == null || url.isBlank()) {
            return "required: the reward server's endpoint, e.g. http://127.0.0.1:8090/v1/score";
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return "not a valid URL: " + e.getReason() + " at index " + e.getIndex();
        }
        if (uri.getRawUserInfo() != null) {
            return "must not carry credentials (user-info); name a token with tokenSecret";
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
            return "must be an http:// or https:// URL, got '" + url + "'";
        }
        if (uri.getHost() == null) {
            return "has no host: '" + url + "'";
        }
        if (uri.getRawFragment() != null) {
            return "must not have a fragment ('#…'), got '" + url + "'";
        }
        return null;
    }
}
