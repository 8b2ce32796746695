package dev.gspo.common.wire;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One prompt, given either as text (encoded by the served policy's tokenizer) or as token ids; exactly one of the two.
 *
 * @param id       echoed back as {@link SampleGroup#promptId()}; absent ⇒ the prompt's index ("0", "1", …)
 * @param text     the prompt text, encoded without special tokens
 * @param tokenIds the prompt's token ids, used as they are
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PromptInput(String id, String text, int[] tokenIds) {

    public static PromptInput text(String id, String text) {
        return new PromptInput(id, text, null);
    }

    public static PromptInput tokens(String id, int... tokenIds) {
        return new PromptInput(id, null, tokenIds);
    }
}
