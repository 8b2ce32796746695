package dev.gspo.common.profile;

/**
 * The stages of one policy-gradient step ({@code PolicyTrainer.step}), in the order they run, as a
 * {@link StageTimer} sees them. Per minibatch the scorer's stages (inputs → blocks → head → log-softmax) run inside
 * the gradient collector, followed by the loss, backward, clipping, AdamW and zeroing.
 */
public enum TrainStage {
    /** the no-grad teacher-forced forward of the whole batch under θ (π_old, the mismatch), copied to the host */
    OLD_LOGPROBS("π_old recompute (no-grad forward of the batch)"),
    /** token ids, positions and the additive attention mask (causal + right padding, built once per batch) */
    INPUTS("inputs: ids, positions, attention mask"),
    /** embedding lookup and every decoder block (attention, MLP) under autograd */
    BLOCKS("forward: embedding + decoder blocks"),
    /** picking the rows that predict response tokens, final norm, LM head */
    HEAD("forward: response rows, final norm, LM head"),
    /** temperature, log-softmax over the vocabulary, gather of the response tokens, entropy */
    LOG_SOFTMAX("forward: log-softmax over the vocabulary, gather, entropy"),
    /** the objective (GSPO/GRPO loss and its diagnostics), forward */
    LOSS("loss forward (objective + diagnostics)"),
    /** backward through the loss, the head and the blocks */
    BACKWARD("backward"),
    /** global gradient norm and clipping */
    CLIP("global-norm clipping"),
    /** the AdamW update */
    ADAMW("AdamW"),
    /** zeroing the gradients */
    ZERO("zeroing gradients"),
    /** everything else: the reference policy, batching on the host, freeing a minibatch's tensors */
    OTHER("other (host batching, freeing tensors)");

    private final String label;

    TrainStage(String label) {
        this.label = label;
    }

    /** A short human-readable name for tables. */
    public String label() {
        return label;
    }
}
