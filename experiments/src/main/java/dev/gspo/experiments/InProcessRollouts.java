package dev.gspo.experiments;

import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.replica.DecodeBatches;
import dev.gspo.common.replica.RolloutRows;
import dev.gspo.optimizer.fleet.FleetClient;
import dev.gspo.optimizer.loop.RolloutBatch;
import dev.gspo.optimizer.loop.RolloutSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link RolloutSource} half of the in-process pair: samples from an {@link InProcessReplica}'s serving copy
 * exactly as a one-replica fleet does, minus HTTP, through the rollout-service's own steps ({@code common.replica}):
 *
 * <pre>
 *   request seed  s' = FleetClient.shareSeed(seed, 0)          (what the fleet sends its only replica)
 *   prompt i      → the served model's tokenizer.encode(text)  (as the replica's RolloutPlanner)
 *   rows          → RolloutRows.plan(ids, G, sampling, s')     (as RolloutPlan: prompt-major, per-sample seeds)
 *   decode        → DecodeBatches.decode, one batch            (as DecodeWorker; a request is never split, and one
 *                                                                with more rows than max-batch-sequences is refused)
 *   groups        → RolloutRows.byPrompt                       (as RolloutPlan.toResponse)
 * </pre>
 *
 * So sample j of prompt i is the one a single rollout-service replica would return for the same step
 * ({@code ReplicaAgreementTest} holds the two to that).
 */
public final class InProcessRollouts implements RolloutSource {
    private final InProcessReplica replica;

    public InProcessRollouts(InProcessReplica replica) {
        this.replica = replica;
    }

    @Override
    public RolloutBatch sample(
            List<String> prompts, int groupSize, SamplingParams sampling, long seed, long minPolicyVersion) {
        long version = replica.version();
        if (version < minPolicyVersion) {
            throw new IllegalStateException(
                    "the replica serves version " + version + ", the step needs ≥ " + minPolicyVersion);
        }
        PolicyModel model = replica.served();
        List<int[]> promptIds =
                prompts.stream().map(p -> model.tokenizer().encode(p)).toList();
        List<SequenceRequest> rows = RolloutRows.plan(promptIds, groupSize, sampling, FleetClient.shareSeed(seed, 0));
        if (!DecodeBatches.fits(0, rows.size(), replica.maxBatchSequences())) {
            throw new IllegalArgumentException("prompts × groupSize = " + prompts.size() + " × " + groupSize + " = "
                    + rows.size() + " sequences exceed the replica's max-batch-sequences "
                    + replica.maxBatchSequences() + ": a one-replica fleet would have the step refused (400)");
        }
        List<List<Completion>> byPrompt = RolloutRows.byPrompt(
                DecodeBatches.decode(model, replica.decodeWeights(), List.of(rows))
                        .getFirst(),
                groupSize);
        List<RolloutBatch.Group> groups = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            groups.add(new RolloutBatch.Group(promptIds.get(i), version, byPrompt.get(i)));
        }
        return new RolloutBatch(version, groups);
    }
}
