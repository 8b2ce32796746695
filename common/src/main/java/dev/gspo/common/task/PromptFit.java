package dev.gspo.common.task;

import dev.gspo.common.chat.ChatTemplate;
import java.util.List;
import java.util.Optional;
import java.util.function.ToIntFunction;

/**
 * Whether a dataset's prompts fit the model's context before a run starts, rather than failing its first step at a
 * replica: the prompt the policy sees ({@link ModelPrompt#text}, chat conversations rendered through the template)
 * must leave room for the response,
 *
 * <pre>
 *   tokens(prompt) ≤ max_position_embeddings − maxNewTokens
 * </pre>
 *
 * (the decoder's KV cache and rotary positions hold prompt + response; {@code BatchGenerator} refuses more).
 */
public final class PromptFit {
    private PromptFit() {}

    /**
     * The problem of the first example whose prompt does not fit, with how many others do not either; empty when all
     * fit.
     *
     * @param examples     every example a run may show the model (training and held-out)
     * @param tokenCount   the number of tokens of a prompt text under the model's tokenizer (no special tokens added)
     * @param taskLabel    names the dataset, e.g. {@code task.path 'data/chat.jsonl'}
     * @param modelLabel   names the model, e.g. {@code model.source '/models/qwen3'}
     */
    public static Optional<String> problem(
            List<TaskExample> examples,
            Optional<ChatTemplate> template,
            ToIntFunction<String> tokenCount,
            int maxPositions,
            int maxNewTokens,
            String taskLabel,
            String modelLabel) {
        int limit = maxPositions - maxNewTokens;
        String first = null;
        int tooLong = 0;
        for (TaskExample e : examples) {
            int n = tokenCount.applyAsInt(ModelPrompt.text(e, template));
            if (n > limit) {
                if (first == null) {
                    first = "example '" + e.id() + "' has a prompt of " + n + " tokens"
                            + (e.isChat() ? " (rendered through the chat template)" : "");
                }
                tooLong++;
            }
        }
        if (first == null) {
            return Optional.empty();
        }
        String others = tooLong > 1 ? " (and " + (tooLong - 1) + " more prompt(s) are too long)" : "";
        return Optional.of(taskLabel + ": " + first + others + ", more than the " + Math.max(0, limit)
                + " a prompt may have: max_position_embeddings " + maxPositions + " of " + modelLabel
                + " − sampling.maxNewTokens " + maxNewTokens + "; shorten the prompt or lower sampling.maxNewTokens");
    }
}
