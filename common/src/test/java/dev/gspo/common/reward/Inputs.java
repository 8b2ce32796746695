package dev.gspo.common.reward;

import java.util.Map;

/** Small factories for reward inputs. */
final class Inputs {
    private Inputs() {}

    static RewardInput of(String response, String answer) {
        return new RewardInput("t", "prompt", response, answer, 0, Map.of());
    }

    static RewardInput ofTokens(int tokens) {
        return new RewardInput("t", "prompt", "x", "x", tokens, Map.of());
    }
}
