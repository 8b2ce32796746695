package dev.gspo.common.model;

/**
 * Sees, and may replace, the experts each sparse layer routes its tokens to during one forward pass. The trainer
 * records π_old's choice with one and replays it into π_θ's forward with another (routing replay); decoding and plain
 * scoring route freely ({@link #FREE}).
 */
@FunctionalInterface
public interface ExpertRouting {

    /** Every token goes to the router's own top-k. */
    ExpertRouting FREE = (layer, chosen, tokens, k) -> chosen;

    /**
     * @param layer  decoder layer index of the sparse block
     * @param chosen the router's own top-k, {@code [tokens·k]} row-major over the forward's {@code B·T} positions,
     *               each token's experts in descending router probability
     * @return the experts to use, same layout: {@code chosen} itself, or other ids (distinct within a token)
     */
    int[] route(int layer, int[] chosen, int tokens, int k);
}
