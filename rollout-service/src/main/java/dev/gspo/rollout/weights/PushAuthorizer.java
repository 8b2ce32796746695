package dev.gspo.rollout.weights;

import dev.gspo.common.model.PolicyModel;
import dev.gspo.rollout.config.RolloutProperties;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Checks {@code Authorization: Bearer <token>} on weight pushes against {@code gspo.rollout.push-token}. The token
 * is never logged; tokens are compared as SHA-256 digests with {@link MessageDigest#isEqual}, which takes the same
 * time wherever the first difference is and whatever the length of the offered token.
 */
public final class PushAuthorizer {
    private static final String BEARER = "Bearer ";

    private final byte[] expectedDigest;

    public PushAuthorizer(RolloutProperties properties) {
        this.expectedDigest = properties.pushesEnabled() ? digest(properties.pushToken()) : null;
    }

    /**
     * @throws PushNotAuthorizedException 401 when the header is missing or not a bearer token, 403 when the token is
     *                                    wrong or pushes are disabled
     */
    public void check(String authorization) {
        if (expectedDigest == null) {
            throw new PushNotAuthorizedException(
                    false, "weight pushes are disabled on this replica: gspo.rollout.push-token is not set");
        }
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw new PushNotAuthorizedException(true, "PUT /v1/policy needs an Authorization: Bearer <token> header");
        }
        String offered = authorization.substring(BEARER.length()).strip();
        if (!MessageDigest.isEqual(digest(offered), expectedDigest)) {
            throw new PushNotAuthorizedException(false, "the bearer token is not the configured push token");
        }
    }

    private static byte[] digest(String token) {
        return HexFormat.of().parseHex(PolicyModel.sha256(token.getBytes(StandardCharsets.UTF_8)));
    }
}
