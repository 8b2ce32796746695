package dev.gspo.common.objective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class GroupAdvantagesTest {

    private final GroupAdvantages standard = new GroupAdvantages(AdvantageConfig.defaults());
    private final GroupAdvantages centredOnly = new GroupAdvantages(AdvantageConfig.meanCentredOnly());

    @Test
    void normalisesThePaperExampleByTheBesselCorrectedStd() {
        // docs/ALGORITHM.md §2: rewards 95, 70, 85, 80 → mean 82.5, r − mean = +12.5, −12.5, +2.5, −2.5
        // std (n−1) = sqrt((12.5² + 12.5² + 2.5² + 2.5²)/3) = sqrt(108.3333) = 10.40833
        Advantages a = standard.compute(new double[] {95, 70, 85, 80}, 4);

        double std = Math.sqrt(325.0 / 3);
        assertThat(a.advantages())
                .containsExactly(
                        new double[] {12.5 / (std + 1e-6), -12.5 / (std + 1e-6), 2.5 / (std + 1e-6), -2.5 / (std + 1e-6)
                        },
                        within(1e-12));
        assertThat(a.advantages()[0]).isCloseTo(1.200961, within(1e-6));
        assertThat(a.groups()).isEqualTo(1);
        assertThat(a.zeroVarianceGroups()).isZero();
    }

    @Test
    void withoutStdScalingReturnsTheCentredRewards() {
        Advantages a = centredOnly.compute(new double[] {95, 70, 85, 80, 1, 0, 0, 0}, 4);

        assertThat(a.advantages()).containsExactly(12.5, -12.5, 2.5, -2.5, 0.75, -0.25, -0.25, -0.25);
        assertThat(a.groups()).isEqualTo(2);
    }

    @Test
    void groupsAreConsecutiveAndNormalisedIndependently() {
        Advantages a = standard.compute(new double[] {1, 0, 10, 30}, 2);

        // group 1: mean 0.5, std sqrt(0.5); group 2: mean 20, std sqrt(200): both give ±1/√2
        double eps = AdvantageConfig.DEFAULT_EPS;
        assertThat(a.advantages())
                .containsExactly(
                        new double[] {
                            0.5 / (Math.sqrt(0.5) + eps), -0.5 / (Math.sqrt(0.5) + eps),
                            -10 / (Math.sqrt(200) + eps), 10 / (Math.sqrt(200) + eps)
                        },
                        within(1e-12));
        assertThat(a.groups()).isEqualTo(2);
    }

    @Test
    void countsZeroVarianceGroupsAndGivesThemExactlyZeroAdvantage() {
        double[] rewards = {1, 1, 1, 1, 0, 1, 0, 0, 0.1, 0.1, 0.1, 0.1, 0, 0, 0, 0};

        for (GroupAdvantages g : new GroupAdvantages[] {standard, centredOnly}) {
            Advantages a = g.compute(rewards, 4);

            assertThat(a.zeroVarianceGroups()).isEqualTo(3);
            assertThat(a.groups()).isEqualTo(4);
            assertThat(a.zeroVarianceShare()).isEqualTo(0.75);
            double[] adv = a.advantages();
            for (int i : new int[] {0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15}) {
                assertThat(adv[i]).as("advantage %d", i).isEqualTo(0.0);
            }
            assertThat(adv[5]).isPositive();
        }
    }

    @Test
    void matchesTheReferenceScript() {
        JsonNode cases = GoldenVectorsTest.read("advantages/group_advantages.json");
        assertThat(cases.size()).isGreaterThanOrEqualTo(4);
        for (JsonNode c : cases) {
            double[] rewards = doubles(c.get("rewards"));
            int g = c.get("groupSize").asInt();
            check(
                    c.get("name").asText() + " with std",
                    new GroupAdvantages(new AdvantageConfig(true, c.get("eps").asDouble())).compute(rewards, g),
                    c.get("withStd"));
            check(c.get("name").asText() + " without std", centredOnly.compute(rewards, g), c.get("withoutStd"));
        }
    }

    @Test
    void rejectsGroupsOfOneUnevenBatchesAndNonFiniteRewards() {
        assertThatThrownBy(() -> standard.compute(new double[] {1, 2}, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("groupSize")
                .hasMessageContaining("1");
        assertThatThrownBy(() -> standard.compute(new double[] {1, 2, 3}, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3");
        assertThatThrownBy(() -> standard.compute(new double[] {1, Double.NaN}, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reward 1");
        assertThatThrownBy(() -> new AdvantageConfig(true, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("eps");
    }

    private static void check(String what, Advantages actual, JsonNode expected) {
        assertThat(actual.advantages()).as(what).containsExactly(doubles(expected.get("advantages")), within(1e-12));
        assertThat(actual.zeroVarianceGroups())
                .as(what)
                .isEqualTo(expected.get("zeroVarianceGroups").asInt());
        assertThat(actual.groups()).as(what).isEqualTo(expected.get("groups").asInt());
    }

    private static double[] doubles(JsonNode n) {
        double[] d = new double[n.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = n.get(i).asDouble();
        }
        return d;
    }
}
