package dev.gspo.common.objective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LossModeTest {

    @Test
    void parsesTheThreeWireNames() {
        assertThat(LossMode.fromName("gspo")).isEqualTo(LossMode.GSPO);
        assertThat(LossMode.fromName("gspo-token")).isEqualTo(LossMode.GSPO_TOKEN);
        assertThat(LossMode.fromName(" GRPO ")).isEqualTo(LossMode.GRPO);
        for (LossMode m : LossMode.values()) {
            assertThat(LossMode.fromName(m.wireName())).isEqualTo(m);
            assertThat(m.toString()).isEqualTo(m.wireName());
        }
    }

    @Test
    void rejectsUnknownNamesListingTheAcceptedOnes() {
        assertThatThrownBy(() -> LossMode.fromName("gspo_token"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gspo_token")
                .hasMessageContaining("gspo, gspo-token, grpo");
        assertThatThrownBy(() -> LossMode.fromName(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaultsAreThePaperPresetsWithoutKl() {
        assertThat(ObjectiveConfig.defaults(LossMode.GSPO).clip()).isEqualTo(new ClipRange(3e-4, 4e-4));
        assertThat(ObjectiveConfig.defaults(LossMode.GSPO_TOKEN).clip()).isEqualTo(new ClipRange(3e-4, 4e-4));
        assertThat(ObjectiveConfig.defaults(LossMode.GRPO).clip()).isEqualTo(new ClipRange(0.2, 0.27));
        for (LossMode m : LossMode.values()) {
            ObjectiveConfig c = ObjectiveConfig.defaults(m);
            assertThat(c.klBeta()).isZero();
            assertThat(c.logRatioClamp()).isEqualTo(20.0);
        }
    }

    @Test
    void clipRangeIsAsymmetricAndValidated() {
        ClipRange r = new ClipRange(0.1, 0.3);
        assertThat(r.lowerBound()).isEqualTo(0.9);
        assertThat(r.upperBound()).isEqualTo(1.3);
        assertThat(r.clipsHigh(1.31, 1)).isTrue();
        assertThat(r.clipsHigh(1.31, -1)).isFalse();
        assertThat(r.clipsLow(0.89, -1)).isTrue();
        assertThat(r.clipsLow(0.89, 0)).isFalse();
        assertThatThrownBy(() -> new ClipRange(1.0, 0.2)).hasMessageContaining("1.0");
        assertThatThrownBy(() -> new ClipRange(0.2, -0.1)).hasMessageContaining("-0.1");
        assertThatThrownBy(() -> ObjectiveConfig.defaults(LossMode.GSPO).withKlBeta(-1))
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> ObjectiveConfig.defaults(LossMode.GSPO).withLogRatioClamp(0))
                .hasMessageContaining("0");
    }
}
