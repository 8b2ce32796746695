package dev.gspo.common.wire;

import java.util.List;

/**
 * The answer to a {@link RolloutRequest}.
 *
 * @param policyVersion the one policy version that generated every sample of the response
 * @param groups        one group per prompt, in request order
 */
public record RolloutResponse(long policyVersion, List<SampleGroup> groups, Usage usage) {}
