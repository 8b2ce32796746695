package dev.gspo.common.replica;

import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.DecodeWeights;
import dev.gspo.common.model.PolicyModel;
import java.util.ArrayList;
import java.util.List;

/**
 * How requests' rows become decode batches, the same for the rollout-service's decoder thread and an in-process
 * replica: whole requests (a request is never split), in arrival order, while their rows fit in
 * {@code maxSequences}; a batch is one KV-cached {@link BatchGenerator#generate} call over all its rows, and each
 * request gets back its own completions in its row order.
 *
 * <p>A request whose rows do not {@link #fits fit} an empty batch cannot be served: the rollout-service refuses it
 * (400, {@code gspo.rollout.max-batch-sequences}), and so does an in-process replica.
 */
public final class DecodeBatches {
    /** The rollout-service's default {@code gspo.rollout.max-batch-sequences}. */
    public static final int DEFAULT_MAX_SEQUENCES = 512;

    private DecodeBatches() {}

    /** Whether a request of {@code requestSequences} rows fits beside {@code batchSequences} rows already taken. */
    public static boolean fits(int batchSequences, int requestSequences, int maxSequences) {
        return (long) batchSequences + requestSequences <= maxSequences;
    }

    /**
     * Decodes the requests' rows as one batch.
     *
     * @return per request, its completions in row order (request i's list has as many entries as request i has rows)
     */
    public static List<List<Completion>> decode(PolicyModel model, List<List<SequenceRequest>> requests) {
        return decode(new BatchGenerator(model), requests);
    }

    /**
     * As {@link #decode(PolicyModel, List)}, with the served version's own fused decode weights
     * ({@link dev.gspo.common.model.VersionDecodeWeights#get}, kept open by the caller) instead of building them for
     * the batch: for a version whose weights never change in place.
     */
    public static List<List<Completion>> decode(
            PolicyModel model, DecodeWeights versionWeights, List<List<SequenceRequest>> requests) {
        return decode(new BatchGenerator(model, versionWeights), requests);
    }

    private static List<List<Completion>> decode(BatchGenerator generator, List<List<SequenceRequest>> requests) {
        List<SequenceRequest> rows = new ArrayList<>();
        requests.forEach(rows::addAll);
        List<Completion> completions = generator.generate(rows);
        List<List<Completion>> perRequest = new ArrayList<>(requests.size());
        int at = 0;
        for (List<SequenceRequest> request : requests) {
            perRequest.add(List.copyOf(completions.subList(at, at + request.size())));
            at += request.size();
        }
        return perRequest;
    }
}
