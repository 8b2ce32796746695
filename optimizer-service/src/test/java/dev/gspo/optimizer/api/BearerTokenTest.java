package dev.gspo.optimizer.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BearerTokenTest {
    private final BearerToken token = new BearerToken("s3cret-T0ken");

    @Test
    void acceptsTheSchemeInAnyCase() {
        for (String scheme : new String[] {"Bearer", "bearer", "BEARER", "bEaReR"}) {
            assertThat(token.matches(scheme + " s3cret-T0ken")).as(scheme).isTrue();
            assertThatCode(() -> token.check(scheme + " s3cret-T0ken")).doesNotThrowAnyException();
        }
    }

    @Test
    void acceptsExtraSpacesAroundTheToken() {
        assertThat(token.matches("Bearer    s3cret-T0ken  ")).isTrue();
    }

    @Test
    void refusesAnotherSchemeAMissingTokenAndAWrongOne() {
        assertThatThrownBy(() -> token.check(null)).hasMessageContaining("missing bearer token");
        assertThatThrownBy(() -> token.check("Basic s3cret-T0ken")).hasMessageContaining("missing bearer token");
        assertThatThrownBy(() -> token.check("Bearer ")).hasMessageContaining("missing bearer token");
        assertThatThrownBy(() -> token.check("Bearers3cret-T0ken")).hasMessageContaining("missing bearer token");
        assertThatThrownBy(() -> token.check("Bearer s3cret-T0keN"))
                .hasMessage("the bearer token is not valid")
                .message()
                .doesNotContain("s3cret");
        assertThat(token.matches("Bearer s3cret-T0ken0")).isFalse();
    }

    @Test
    void anEmptyConfiguredTokenChecksNothingAndMatchesNothing() {
        BearerToken none = new BearerToken("");
        assertThatCode(() -> none.check(null)).doesNotThrowAnyException();
        assertThat(none.matches("Bearer ")).isFalse();
        assertThat(none.matches("Bearer anything")).isFalse();
    }
}
