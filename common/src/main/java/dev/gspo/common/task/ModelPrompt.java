package dev.gspo.common.task;

import dev.gspo.common.chat.ChatTemplate;
import java.util.Optional;

/**
 * The one place where a task example becomes the text a policy continues: the prompt as it is, or a chat example's
 * messages rendered through the model's chat template with the generation prompt ({@code add_generation_prompt}),
 * as transformers' {@code apply_chat_template} renders it. Rollouts, the supervised warm start and the held-out
 * evaluation all go through here, so the three see the same prompt.
 *
 * <p>The text keeps the template's special tokens as text (e.g. {@code <|im_start|>}); encoding it with the model's
 * tokenizer ({@code PolicyTokenizer.encode}, no special tokens added) turns each into its single id, as
 * {@code apply_chat_template(…, tokenize=True)} does.
 */
public final class ModelPrompt {
    private ModelPrompt() {}

    /**
     * The text the policy continues for {@code example}.
     *
     * @throws IllegalStateException if the example is a chat conversation and the model has no chat template (a run
     *                               refuses that combination up front: {@link #chatProblem})
     */
    public static String text(TaskExample example, Optional<ChatTemplate> template) {
        if (!example.isChat()) {
            return example.prompt();
        }
        return template.orElseThrow(() -> new IllegalStateException(
                        "example " + example.id() + " is a chat conversation but the model has no chat template"))
                .render(example.messages(), true);
    }

    /**
     * Why {@code task} cannot train the model: a chat dataset needs a model with a chat template. Empty when it can.
     *
     * @param taskLabel  names the dataset in the message, e.g. {@code task.path 'data/chat.jsonl'}
     * @param modelLabel names the model in the message, e.g. {@code model.source '/models/qwen3'}
     */
    public static Optional<String> chatProblem(
            Task task, String taskLabel, String modelLabel, Optional<ChatTemplate> template) {
        if (task.usesChatMessages() && template.isEmpty()) {
            return Optional.of(taskLabel + " holds chat conversations (\"messages\") but " + modelLabel
                    + " has no chat template (no \"chat_template\" in its tokenizer_config.json): use a model with"
                    + " one, or a dataset of {\"prompt\", \"answer\"} lines");
        }
        return Optional.empty();
    }
}
