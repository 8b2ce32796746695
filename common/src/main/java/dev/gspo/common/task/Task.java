package dev.gspo.common.task;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A source of prompts with a way to score completions.
 *
 * <p>Text format shared by every task: the policy sees {@link ModelPrompt#text} of an example, i.e. its
 * {@link TaskExample#prompt()} (e.g. {@code "12+34="}) or its chat messages rendered by the model's chat template, and should generate the answer followed by the stop marker {@link #STOP}, a
 * newline (e.g. {@code "46\n"}). The rollout stops at {@link #STOP}; rewards look only at the text
 * before the first {@link #STOP}, so {@code "46"} (stop stripped or length-capped) and
 * {@code "46\nanything"} both count as {@code "46"}.
 *
 * <p>Rewards are total: {@link #reward} returns a finite number for every completion (null,
 * empty, garbage, megabytes long) and never throws, because a single odd sample must not stop a
 * training run.
 *
 * <p>Sampling takes the RNG so that a run is reproducible from its seed; {@link #heldOut()} is
 * fixed (same list every call, for every instance with the same configuration) and, where the
 * task allows it, disjoint from anything {@link #sample} can return.
 */
public interface Task {

    /** The stop marker that ends every completion. */
    String STOP = "\n";

    /** The registry name, e.g. {@code addition}. */
    String name();

    /** {@code n} training examples drawn with {@code rng} (with replacement; never held-out ones). */
    List<TaskExample> sample(int n, RandomGenerator rng);

    /** The fixed evaluation set. */
    List<TaskExample> heldOut();

    /** How completions are scored against the answer. */
    RewardFunction rewardFunction();

    /** Whether the examples are chat conversations, which need the model's chat template ({@link ModelPrompt}). */
    default boolean usesChatMessages() {
        return false;
    }

    /** The reward of {@code completion} (the generated text after the prompt); never throws. */
    default double reward(TaskExample example, String completion) {
        return example == null ? 0.0 : rewardFunction().score(completion, example.answer());
    }

    /** The completion a perfect policy generates: answer + {@link #STOP}. */
    default String idealCompletion(TaskExample example) {
        return example.answer() + STOP;
    }

    /** {@code n} training examples with their ideal completions, for a supervised warm start. */
    default List<Demonstration> demonstrations(int n, RandomGenerator rng) {
        return sample(n, rng).stream()
                .map(e -> new Demonstration(e, idealCompletion(e)))
                .toList();
    }
}
