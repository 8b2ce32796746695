package dev.gspo.common.scoring;

import ai.djl.ndarray.NDArray;

/**
 * Per-token log-probs of a batch of responses, aligned on the response (not the prompt).
 *
 * @param logprobs [B, R] float32, {@code logprobs[b, t]} = log softmax(logits / T)[response_b[t]] for t &lt; |y_b|,
 *                 0 at padding; differentiable with respect to the model's weights when computed under a
 *                 gradient collector
 * @param mask     [B, R] float32, 1 at the response's real tokens and 0 at padding
 * @param lengths  |y_b| for each row
 * @param entropy  [B, R] per-token entropy −Σ_v p_v log p_v of the distribution at temperature T (0 at padding),
 *                 detached from the graph; null unless asked for
 */
public record ResponseLogprobs(NDArray logprobs, NDArray mask, int[] lengths, NDArray entropy) {}
