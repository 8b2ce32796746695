package dev.gspo.common.wire;

/**
 * One sampled completion.
 *
 * @param tokenIds     every generated token, including an EOS token or the tokens of a stop string
 * @param text         the decoded text, cut before the stop string / EOS
 * @param logprobs     {@code logprobs[t]} = log softmax(logits / T)[tokenIds[t]] over the full vocabulary, under the
 *                     response's policy version; same length as {@code tokenIds}
 * @param finishReason {@code "eos"} (the model's end-of-sequence token), {@code "stop"} (a stop string of the
 *                     request) or {@code "length"} (maxNewTokens reached: a truncated response)
 */
public record Sample(int[] tokenIds, String text, float[] logprobs, String finishReason) {}
