package dev.gspo.rollout.api;

import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.replica.RolloutRows;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.common.wire.Sample;
import dev.gspo.common.wire.SampleGroup;
import dev.gspo.common.wire.Usage;
import dev.gspo.rollout.batching.DecodedRollout;
import java.util.ArrayList;
import java.util.List;

/**
 * A validated rollout request with its defaults applied: prompts × groupSize rows as {@link RolloutRows} plans them
 * (prompt-major, row {@code (p, s)} seeded from (seed, p, s)), so that a sample depends only on the request, never on
 * its batch mates, and an in-process replica given the same request decodes the same rows.
 */
record RolloutPlan(
        List<PlannedPrompt> prompts, int groupSize, SamplingParams params, long seed, Long minPolicyVersion) {

    /** Prompt-major: the G samples of prompt 0, then of prompt 1, … */
    List<SequenceRequest> rows() {
        return RolloutRows.plan(prompts.stream().map(PlannedPrompt::tokenIds).toList(), groupSize, params, seed);
    }

    RolloutResponse toResponse(DecodedRollout decoded) {
        List<List<Completion>> byPrompt = RolloutRows.byPrompt(decoded.completions(), groupSize);
        List<SampleGroup> groups = new ArrayList<>(prompts.size());
        long promptTokens = 0;
        long completionTokens = 0;
        for (int p = 0; p < prompts.size(); p++) {
            PlannedPrompt prompt = prompts.get(p);
            promptTokens += prompt.tokenIds().length;
            List<Sample> samples = new ArrayList<>(groupSize);
            for (Completion c : byPrompt.get(p)) {
                completionTokens += c.tokenIds().length;
                samples.add(new Sample(
                        c.tokenIds(), c.text(), c.logprobs(), c.finishReason().wireName()));
            }
            groups.add(new SampleGroup(prompt.id(), prompt.tokenIds(), samples));
        }
        return new RolloutResponse(
                decoded.policyVersion(), groups, new Usage(promptTokens, completionTokens), decoded.adapter());
    }
}
