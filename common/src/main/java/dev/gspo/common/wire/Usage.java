package dev.gspo.common.wire;

/**
 * Token counts of a response.
 *
 * @param promptTokens     prompt tokens summed over prompts (each counted once, not once per sample)
 * @param completionTokens generated tokens summed over every sample
 */
public record Usage(long promptTokens, long completionTokens) {}
