package dev.gspo.common.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TokenSamplerTest {
    private static final float[] LOGPROBS = {
        (float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)
    };

    @Test
    void samplesInProportionToProbability() {
        double[] freq = frequencies(new SamplingParams(1, 1, 1, 0, List.of()));
        assertThat(freq[0]).isCloseTo(0.5, within(0.01));
        assertThat(freq[1]).isCloseTo(0.3, within(0.01));
        assertThat(freq[3]).isCloseTo(0.05, within(0.005));
    }

    @Test
    void topKRenormalisesOverTheKLikeliest() {
        double[] freq = frequencies(new SamplingParams(1, 1, 1, 2, List.of()));
        assertThat(freq[0]).isCloseTo(0.5 / 0.8, within(0.01));
        assertThat(freq[2] + freq[3]).isZero();
    }

    @Test
    void topPKeepsTheSmallestPrefixReachingTheMass() {
        double[] freq = frequencies(new SamplingParams(1, 1, 0.75, 0, List.of()));
        assertThat(freq[0]).isCloseTo(0.5 / 0.8, within(0.01));
        assertThat(freq[1]).isCloseTo(0.3 / 0.8, within(0.01));
        assertThat(freq[2]).isZero();
    }

    @Test
    void greedyTakesTheArgmax() {
        float[] lp = {-3f, -0.1f, -2f};
        assertThat(TokenSampler.sample(lp, 0, 3, SamplingParams.greedy(1, List.of()), new SplittableRandom(1)))
                .isEqualTo(1);
    }

    private static double[] frequencies(SamplingParams p) {
        SplittableRandom rng = new SplittableRandom(42);
        double[] counts = new double[4];
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            counts[TokenSampler.sample(LOGPROBS, 0, 4, p, rng)]++;
        }
        for (int i = 0; i < 4; i++) {
            counts[i] /= n;
        }
        return counts;
    }
}
