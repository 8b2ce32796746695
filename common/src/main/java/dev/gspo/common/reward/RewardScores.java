package dev.gspo.common.reward;

import java.util.Map;

/**
 * What one reward function gave a batch of responses.
 *
 * @param scores     one finite score per response, in the order of the inputs
 * @param components named parts of the score a remote server reported (name → one value per response, NaN where
 *                   the server did not report it); empty for the built-in functions
 */
public record RewardScores(double[] scores, Map<String, double[]> components) {

    public RewardScores {
        components = components == null ? Map.of() : Map.copyOf(components);
    }

    public static RewardScores of(double[] scores) {
        return new RewardScores(scores, Map.of());
    }
}
