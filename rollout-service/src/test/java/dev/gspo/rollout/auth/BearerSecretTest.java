package dev.gspo.rollout.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class BearerSecretTest {
    @Test
    void readsTheBearerSchemeCaseInsensitively() {
        for (String header : new String[] {"Bearer s3cret", "bearer s3cret", "BEARER s3cret", "bEaReR s3cret"}) {
            assertThat(BearerSecret.offered(header)).as(header).hasValue("s3cret");
        }
        assertThat(BearerSecret.offered("Bearer   s3cret  ")).hasValue("s3cret");
        assertThat(BearerSecret.offered("Bearer "))
                .as("the scheme with empty credentials")
                .hasValue("");
    }

    @Test
    void offersNothingForOtherSchemesOrNoCredentials() {
        for (String header :
                new String[] {"Basic czNjcmV0", "Bearers3cret", "Bearer", "Bearer\ts3cret", "", "s3cret"}) {
            assertThat(BearerSecret.offered(header)).as(header).isEmpty();
        }
        assertThat(BearerSecret.offered(null)).isEqualTo(Optional.empty());
    }

    @Test
    void matchesOnlyTheExactSecretAndNeverPrintsIt() {
        BearerSecret secret = new BearerSecret("s3cret");

        assertThat(secret.matches("s3cret")).isTrue();
        for (String wrong : new String[] {"s3cre", "s3cret2", "S3CRET", "", " s3cret"}) {
            assertThat(secret.matches(wrong)).as(wrong).isFalse();
        }
        assertThat(secret.toString()).doesNotContain("s3cret");
    }
}
