package dev.gspo.optimizer.loop;

import dev.gspo.common.decode.Completion;
import java.util.List;

/**
 * The groups of one step, in prompt order.
 *
 * @param policyVersion the oldest version among the replicas that served the step (every sample of a group comes
 *                      from one version, named by the replica)
 */
public record RolloutBatch(long policyVersion, List<Group> groups) {

    /** The responses to one prompt, with the prompt's token ids as the replica tokenized it. */
    public record Group(int[] promptTokenIds, long policyVersion, List<Completion> samples) {}

    /** The share of samples cut at maxNewTokens ({@code finishReason} {@code length}); 0 for no samples. */
    public double truncatedFraction() {
        long all = groups.stream().mapToLong(g -> g.samples().size()).sum();
        long cut = groups.stream()
                .flatMap(g -> g.samples().stream())
                .filter(c -> c.finishReason() != null && c.finishReason().truncated())
                .count();
        return all == 0 ? 0 : (double) cut / all;
    }

    public long completionTokens() {
        return groups.stream()
                .flatMap(g -> g.samples().stream())
                .mapToLong(c -> c.tokenIds().length)
                .sum();
    }
}
