package dev.gspo.rollout.weights;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gspo.rollout.auth.NotAuthorizedException;
import dev.gspo.rollout.config.RolloutProperties;
import dev.gspo.rollout.support.TestProperties;
import org.junit.jupiter.api.Test;

class PushAuthorizerTest {

    static RolloutProperties withToken(String token) {
        return TestProperties.of("push-token", token);
    }

    @Test
    void acceptsTheConfiguredBearerToken() {
        PushAuthorizer auth = new PushAuthorizer(withToken("s3cret"));

        // the scheme is case-insensitive (RFC 9110 §11.1)
        for (String header : new String[] {"Bearer s3cret", "bearer s3cret", "BEARER s3cret", "bEaReR  s3cret"}) {
            assertThatCode(() -> auth.check(header)).as(header).doesNotThrowAnyException();
        }
    }

    @Test
    void answersMissingCredentialsWith401AndWrongOnesWith403() {
        PushAuthorizer auth = new PushAuthorizer(withToken("s3cret"));

        assertThatThrownBy(() -> auth.check(null))
                .isInstanceOfSatisfying(NotAuthorizedException.class, e -> org.assertj.core.api.Assertions.assertThat(
                                e.missingCredentials())
                        .isTrue());
        assertThatThrownBy(() -> auth.check("Basic czNjcmV0"))
                .isInstanceOfSatisfying(NotAuthorizedException.class, e -> org.assertj.core.api.Assertions.assertThat(
                                e.missingCredentials())
                        .isTrue());
        for (String wrong : new String[] {"Bearer s3cre", "Bearer s3cret2", "Bearer ", "Bearer S3CRET"}) {
            assertThatThrownBy(() -> auth.check(wrong))
                    .isInstanceOfSatisfying(
                            NotAuthorizedException.class,
                            e -> org.assertj.core.api.Assertions.assertThat(e.missingCredentials())
                                    .isFalse());
        }
    }

    @Test
    void refusesEveryPushWhenNoTokenIsConfigured() {
        PushAuthorizer auth = new PushAuthorizer(withToken(""));

        assertThatThrownBy(() -> auth.check("Bearer "))
                .isInstanceOf(NotAuthorizedException.class)
                .hasMessageContaining("gspo.rollout.push-token is not set");
    }

    @Test
    void neverPrintsTheToken() {
        org.assertj.core.api.Assertions.assertThat(withToken("s3cret").toString())
                .doesNotContain("s3cret");
    }
}
