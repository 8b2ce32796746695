package dev.gspo.rollout.weights;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

        assertThatCode(() -> auth.check("Bearer s3cret")).doesNotThrowAnyException();
        assertThatCode(() -> auth.check("bearer s3cret")).doesNotThrowAnyException();
    }

    @Test
    void answersMissingCredentialsWith401AndWrongOnesWith403() {
        PushAuthorizer auth = new PushAuthorizer(withToken("s3cret"));

        assertThatThrownBy(() -> auth.check(null))
                .isInstanceOfSatisfying(
                        PushNotAuthorizedException.class,
                        e -> org.assertj.core.api.Assertions.assertThat(e.missingCredentials())
                                .isTrue());
        assertThatThrownBy(() -> auth.check("Basic czNjcmV0"))
                .isInstanceOfSatisfying(
                        PushNotAuthorizedException.class,
                        e -> org.assertj.core.api.Assertions.assertThat(e.missingCredentials())
                                .isTrue());
        for (String wrong : new String[] {"Bearer s3cre", "Bearer s3cret2", "Bearer ", "Bearer S3CRET"}) {
            assertThatThrownBy(() -> auth.check(wrong))
                    .isInstanceOfSatisfying(
                            PushNotAuthorizedException.class,
                            e -> org.assertj.core.api.Assertions.assertThat(e.missingCredentials())
                                    .isFalse());
        }
    }

    @Test
    void refusesEveryPushWhenNoTokenIsConfigured() {
        PushAuthorizer auth = new PushAuthorizer(withToken(""));

        assertThatThrownBy(() -> auth.check("Bearer "))
                .isInstanceOf(PushNotAuthorizedException.class)
                .hasMessageContaining("gspo.rollout.push-token is not set");
    }

    @Test
    void neverPrintsTheToken() {
        org.assertj.core.api.Assertions.assertThat(withToken("s3cret").toString())
                .doesNotContain("s3cret");
    }
}
