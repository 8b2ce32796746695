package dev.gspo.experiments;

import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.Seeds;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.optimizer.fleet.FleetClient;
import dev.gspo.optimizer.loop.RolloutBatch;
import dev.gspo.optimizer.loop.RolloutSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link RolloutSource} half of the in-process pair: samples from an {@link InProcessReplica}'s serving copy
 * exactly as a one-replica fleet does, minus HTTP.
 *
 * <pre>
 *   request seed  s' = FleetClient.shareSeed(seed, 0)              (what the fleet sends its only replica)
 *   prompt i      → the served model's tokenizer.encode(text)      (as the replica's RolloutPlanner)
 *   row (i, j)    → SequenceRequest(ids_i, sampling, Seeds.forSample(s', i, j)), prompt-major (as RolloutPlan)
 *   decode        → BatchGenerator.generate, at most {@value #MAX_BATCH_SEQUENCES} rows per call (as DecodeWorker)
 * </pre>
 *
 * So sample j of prompt i is the one a single rollout-service replica would return for the same step.
 */
public final class InProcessRollouts implements RolloutSource {
    /** The rollout-service's default {@code gspo.rollout.max-batch-sequences}. */
    static final int MAX_BATCH_SEQUENCES = 512;

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
        long requestSeed = FleetClient.shareSeed(seed, 0);
        List<int[]> promptIds = new ArrayList<>(prompts.size());
        List<SequenceRequest> rows = new ArrayList<>(prompts.size() * groupSize);
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = model.tokenizer().encode(prompts.get(i));
            promptIds.add(ids);
            for (int j = 0; j < groupSize; j++) {
                rows.add(new SequenceRequest(ids, sampling, Seeds.forSample(requestSeed, i, j)));
            }
        }
        BatchGenerator generator = new BatchGenerator(model);
        List<Completion> completions = new ArrayList<>(rows.size());
        for (int from = 0; from < rows.size(); from += MAX_BATCH_SEQUENCES) {
            completions.addAll(
                    generator.generate(rows.subList(from, Math.min(rows.size(), from + MAX_BATCH_SEQUENCES))));
        }
        List<RolloutBatch.Group> groups = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            groups.add(new RolloutBatch.Group(
                    promptIds.get(i), version, List.copyOf(completions.subList(i * groupSize, (i + 1) * groupSize))));
        }
        return new RolloutBatch(version, groups);
    }
}
