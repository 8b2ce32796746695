package dev.gspo.common.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The answer to a {@link RolloutRequest}.
 *
 * @param policyVersion the one policy version that generated every sample of the response: the version of
 *                      {@code adapter} when the request named one, else of the served base model
 * @param groups        one group per prompt, in request order
 * @param adapter       the named adapter every sample was drawn with; absent for the base model
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RolloutResponse(long policyVersion, List<SampleGroup> groups, Usage usage, String adapter) {

    /** An answer of the base model. */
    public RolloutResponse(long policyVersion, List<SampleGroup> groups, Usage usage) {
        this(policyVersion, groups, usage, null);
    }
}
