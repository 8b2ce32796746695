package dev.gspo.common.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * {@code POST /v1/rollouts}: sample {@code groupSize} completions for every prompt.
 *
 * @param prompts          the prompts, answered in this order
 * @param groupSize        samples per prompt (G); absent ⇒ 1
 * @param sampling         how to sample; absent ⇒ every default of {@link SamplingSpec}
 * @param minPolicyVersion refuse (409) if the replica serves an older policy version (of {@code adapter} when one is
 *                         named); absent ⇒ any version
 * @param adapter          the named LoRA adapter to sample from ({@code PUT /v1/adapters/{name}}); absent ⇒ the base
 *                         model. An adapter the replica does not hold is a 404
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RolloutRequest(
        List<PromptInput> prompts, Integer groupSize, SamplingSpec sampling, Long minPolicyVersion, String adapter) {

    /** A request of the base model. */
    public RolloutRequest(List<PromptInput> prompts, Integer groupSize, SamplingSpec sampling, Long minPolicyVersion) {
        this(prompts, groupSize, sampling, minPolicyVersion, null);
    }

    public static RolloutRequest of(List<PromptInput> prompts, int groupSize, SamplingSpec sampling) {
        return new RolloutRequest(prompts, groupSize, sampling, null);
    }
}
