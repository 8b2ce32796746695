package dev.gspo.rollout.api;

import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.Seeds;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.common.wire.Sample;
import dev.gspo.common.wire.SampleGroup;
import dev.gspo.common.wire.Usage;
import dev.gspo.rollout.batching.DecodedRollout;
import java.util.ArrayList;
import java.util.List;

/**
 * A validated rollout request with its defaults applied: prompts × groupSize rows, row {@code (p, s)} seeded with
 * {@link Seeds#forSample}(seed, p, s) so that a sample depends only on the request, never on its batch mates.
 */
record RolloutPlan(
        List<PlannedPrompt> prompts, int groupSize, SamplingParams params, long seed, Long minPolicyVersion) {

    /** Prompt-major: the G samples of prompt 0, then of prompt 1, … */
    List<SequenceRequest> rows() {
        List<SequenceRequest> rows = new ArrayList<>(prompts.size() * groupSize);
        for (int p = 0; p < prompts.size(); p++) {
            for (int s = 0; s < groupSize; s++) {
                rows.add(new SequenceRequest(prompts.get(p).tokenIds(), params, Seeds.forSample(seed, p, s)));
            }
        }
        return rows;
    }

    RolloutResponse toResponse(DecodedRollout decoded) {
        List<SampleGroup> groups = new ArrayList<>(prompts.size());
        long promptTokens = 0;
        long completionTokens = 0;
        for (int p = 0; p < prompts.size(); p++) {
            PlannedPrompt prompt = prompts.get(p);
            promptTokens += prompt.tokenIds().length;
            List<Sample> samples = new ArrayList<>(groupSize);
            for (int s = 0; s < groupSize; s++) {
                Completion c = decoded.completions().get(p * groupSize + s);
                completionTokens += c.tokenIds().length;
                samples.add(new Sample(
                        c.tokenIds(), c.text(), c.logprobs(), c.finishReason().wireName()));
            }
            groups.add(new SampleGroup(prompt.id(), prompt.tokenIds(), samples));
        }
        return new RolloutResponse(decoded.policyVersion(), groups, new Usage(promptTokens, completionTokens));
    }
}
