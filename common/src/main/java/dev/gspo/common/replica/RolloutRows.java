package dev.gspo.common.replica;

import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.Seeds;
import dev.gspo.common.decode.SequenceRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of one rollout request, and the way back from rows to groups: what a replica decodes for P prompts and
 * group size G, whether it answers over HTTP (the rollout-service) or in-process (the experiments).
 *
 * <pre>
 *   row r = p·G + s  (prompt-major: the G samples of prompt 0, then of prompt 1, …)
 *   row r = SequenceRequest(promptTokenIds[p], params, Seeds.forSample(seed, p, s))
 * </pre>
 *
 * Each row carries its own seed, so a sample depends only on the request (seed, p, s), never on its batch mates.
 */
public final class RolloutRows {
    private RolloutRows() {}

    /** P × G rows, prompt-major, row (p, s) seeded with {@link Seeds#forSample}(seed, p, s). */
    public static List<SequenceRequest> plan(
            List<int[]> promptTokenIds, int groupSize, SamplingParams params, long seed) {
        if (groupSize < 1) {
            throw new IllegalArgumentException("groupSize must be ≥ 1, got " + groupSize);
        }
        List<SequenceRequest> rows = new ArrayList<>(promptTokenIds.size() * groupSize);
        for (int p = 0; p < promptTokenIds.size(); p++) {
            for (int s = 0; s < groupSize; s++) {
                rows.add(new SequenceRequest(promptTokenIds.get(p), params, Seeds.forSample(seed, p, s)));
            }
        }
        return rows;
    }

    /** The inverse of {@link #plan}'s order: per-row results (row order) cut into one group of G per prompt. */
    public static <T> List<List<T>> byPrompt(List<T> rowResults, int groupSize) {
        if (groupSize < 1 || rowResults.size() % groupSize != 0) {
            throw new IllegalArgumentException(
                    rowResults.size() + " row results do not make whole groups of " + groupSize);
        }
        List<List<T>> groups = new ArrayList<>(rowResults.size() / groupSize);
        for (int from = 0; from < rowResults.size(); from += groupSize) {
            groups.add(List.copyOf(rowResults.subList(from, from + groupSize)));
        }
        return groups;
    }
}
