package dev.gspo.rollout.weights;

import dev.gspo.rollout.auth.BearerSecret;
import dev.gspo.rollout.auth.NotAuthorizedException;
import dev.gspo.rollout.config.RolloutProperties;
import java.util.Optional;

/**
 * Checks {@code Authorization: Bearer <token>} on weight pushes against {@code gspo.rollout.push-token} (scheme
 * case-insensitive, constant-time comparison: {@link BearerSecret}). The token is never logged.
 */
public final class PushAuthorizer {
    private final BearerSecret token;

    public PushAuthorizer(RolloutProperties properties) {
        this.token = properties.pushesEnabled() ? new BearerSecret(properties.pushToken()) : null;
    }

    /**
     * @throws NotAuthorizedException 401 when the header is missing or not a bearer token, 403 when the token is
     *                                wrong or pushes are disabled
     */
    public void check(String authorization) {
        if (token == null) {
            throw new NotAuthorizedException(
                    false, "weight pushes are disabled on this replica: gspo.rollout.push-token is not set");
        }
        Optional<String> offered = BearerSecret.offered(authorization);
        if (offered.isEmpty()) {
            throw new NotAuthorizedException(true, "PUT /v1/policy needs an Authorization: Bearer <token> header");
        }
        if (!token.matches(offered.get())) {
            throw new NotAuthorizedException(false, "the bearer token is not the configured push token");
        }
    }
}
