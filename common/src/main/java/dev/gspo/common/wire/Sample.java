package dev.gspo.common.wire;

/**
 * One sampled completion.
 *
 * @param tokenIds     every generated token, including an EOS token or the tokens of a stop string
 * @param text         the decoded text, cut before the stop string / EOS
 * @param logprobs     {@code logprobs[t]} = log softmax(logits / T)[tokenIds[t]] over the full vocabulary, under the
 *                     response's policy version; same length as {@code tokenIds}
 * @param finishReason {@code "stop"} (EOS or a stop string) or {@code "length"} (maxNewTokens reached)
 */
public record Sample(int[] tokenIds, String text, float[] logprobs, String finishReason) {}
