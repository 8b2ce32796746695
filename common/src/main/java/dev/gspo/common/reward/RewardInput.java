package dev.gspo.common.reward;

import java.util.Map;

/**
 * One response to score: what every reward function may look at.
 *
 * @param id             unique within one scoring call (e.g. {@code "12-3-5"}: step 12, prompt 3, sample 5)
 * @param prompt         the text the policy continued
 * @param response       the generated text, without the stop marker
 * @param answer         the example's reference answer
 * @param responseTokens how many tokens the policy generated (stop token included): what {@code length} penalises
 * @param metadata       context for a remote reward server (example id, step, …); never null
 */
public record RewardInput(
        String id, String prompt, String response, String answer, int responseTokens, Map<String, Object> metadata) {

    public RewardInput {
        prompt = prompt == null ? "" : prompt;
        response = response == null ? "" : response;
        answer = answer == null ? "" : answer;
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }
}
