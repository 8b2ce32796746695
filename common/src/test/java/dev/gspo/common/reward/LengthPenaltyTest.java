package dev.gspo.common.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LengthPenaltyTest {

    @Test
    void isZeroUpToTheFreeBudgetThenLinearToMinusOneAtTheMaximumAndMinusOneBeyond() {
        LengthPenalty dapo = new LengthPenalty(20_480, 4_096); // DAPO's L_max and L_cache
        assertThat(dapo.penalty(0)).isZero();
        assertThat(dapo.penalty(16_384)).isZero();
        assertThat(dapo.penalty(16_385)).isEqualTo(-1.0 / 4_096);
        assertThat(dapo.penalty(18_432)).isEqualTo(-0.5);
        assertThat(dapo.penalty(20_480)).isEqualTo(-1.0);
        assertThat(dapo.penalty(20_481)).isEqualTo(-1.0);
        assertThat(dapo.score(Inputs.ofTokens(18_432))).isEqualTo(-0.5);
    }

    @Test
    void aCacheAsLongAsTheBudgetPenalisesFromTheFirstToken() {
        LengthPenalty all = new LengthPenalty(4, 4);
        assertThat(all.penalty(0)).isZero();
        assertThat(all.penalty(1)).isEqualTo(-0.25);
        assertThat(all.penalty(4)).isEqualTo(-1.0);
    }

    @Test
    void refusesACacheLongerThanTheBudget() {
        assertThatThrownBy(() -> new LengthPenalty(4, 5)).hasMessageContaining("cacheTokens");
        assertThatThrownBy(() -> new LengthPenalty(4, 0)).hasMessageContaining("cacheTokens");
    }
}
