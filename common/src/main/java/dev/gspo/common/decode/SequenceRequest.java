package dev.gspo.common.decode;

/**
 * One sequence to generate.
 *
 * @param seed seeds this sequence's own RNG, so its samples do not depend on what else shares the batch
 *             (see {@link Seeds#forSample})
 */
public record SequenceRequest(int[] promptTokenIds, SamplingParams params, long seed) {
    public SequenceRequest {
        if (promptTokenIds.length == 0) {
            throw new IllegalArgumentException("a prompt needs at least one token");
        }
        promptTokenIds = promptTokenIds.clone();
    }
}
