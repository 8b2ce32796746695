package dev.gspo.common.decode;

/**
 * A generated sequence.
 *
 * @param tokenIds every generated token, including the EOS token or the tokens of a stop string
 * @param text     the decoded text, cut before the stop string / EOS
 * @param logprobs {@code logprobs[t]} = log softmax(logits / T)[tokenIds[t]] under the policy that sampled it
 */
public record Completion(int[] tokenIds, String text, float[] logprobs, FinishReason finishReason) {}
