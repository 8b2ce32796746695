package dev.gspo.optimizer.reward;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The request of the remote reward contract v1 ({@code docs/reward-api/v1.schema.json}):
 * {@code {"items":[{"id":"…","prompt":"…","response":"…","answer":"…","metadata":{…}}]}}. The answer is read by
 * {@link RemoteRewardClient}, field by field, so that every error names what is wrong.
 */
final class RewardWire {
    private RewardWire() {}

    record Request(List<Item> items) {}

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Item(String id, String prompt, String response, String answer, Map<String, Object> metadata) {}
}
