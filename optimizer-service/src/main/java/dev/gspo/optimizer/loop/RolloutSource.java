package dev.gspo.optimizer.loop;

import dev.gspo.common.decode.SamplingParams;
import java.util.List;

/** Where a step's samples come from: the rollout fleet over HTTP in production. */
public interface RolloutSource {

    /**
     * Samples {@code groupSize} responses for each prompt, all from one policy version ≥ {@code minPolicyVersion}.
     *
     * @param prompts prompt texts; group i of the answer belongs to prompt i
     * @param seed    the request seed; sample j of prompt i is seeded from (seed, i, j), whichever replica serves it
     */
    RolloutBatch sample(List<String> prompts, int groupSize, SamplingParams sampling, long seed, long minPolicyVersion);

    /**
     * As {@link #sample(List, int, SamplingParams, long, long)}, from the named adapter {@code adapter} (null: the
     * base model); {@code minPolicyVersion} is then that adapter's version.
     */
    default RolloutBatch sample(
            List<String> prompts,
            int groupSize,
            SamplingParams sampling,
            long seed,
            long minPolicyVersion,
            String adapter) {
        if (adapter != null) {
            throw new UnsupportedOperationException("this rollout source does not serve named adapters");
        }
        return sample(prompts, groupSize, sampling, seed, minPolicyVersion);
    }
}
