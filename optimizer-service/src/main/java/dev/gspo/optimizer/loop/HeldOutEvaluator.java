package dev.gspo.optimizer.loop;

import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.reward.Reward;
import dev.gspo.common.reward.RewardInput;
import dev.gspo.common.task.ModelPrompt;
import dev.gspo.common.task.Task;
import dev.gspo.common.task.TaskExample;
import java.util.ArrayList;
import java.util.List;

/**
 * Greedy accuracy of a policy on its task's held-out set: the share of answers that earn the full reward (≥ 1) of the
 * run's primary reward function (its first; by default the task's own reward).
 */
public final class HeldOutEvaluator {
    private static final int CHUNK = 128;

    /** What a reward function sees of the {@code index}-th held-out answer. */
    @FunctionalInterface
    public interface Inputs {
        RewardInput of(TaskExample example, Completion completion, int index);
    }

    private HeldOutEvaluator() {}

    /**
     * Scored by {@code reward}, one chunk of answers at a time; greedy answers end at the model's EOS, one of
     * {@code stop} (the run's {@code sampling.stop}) or after {@code maxNewTokens}.
     */
    public static double accuracy(
            PolicyModel model, Task task, int size, int maxNewTokens, List<String> stop, Inputs inputs, Reward reward) {
        List<TaskExample> examples = task.heldOut();
        return accuracy(
                model, examples.subList(0, Math.min(size, examples.size())), maxNewTokens, stop, inputs, reward);
    }

    /** Greedy accuracy on {@code examples} (the held-out set, or the warm start's check sample of training prompts). */
    public static double accuracy(
            PolicyModel model,
            List<TaskExample> examples,
            int maxNewTokens,
            List<String> stop,
            Inputs inputs,
            Reward reward) {
        if (examples.isEmpty()) {
            return Double.NaN;
        }
        SamplingParams greedy = SamplingParams.greedy(maxNewTokens, stop);
        BatchGenerator generator = new BatchGenerator(model);
        int correct = 0;
        for (int from = 0; from < examples.size(); from += CHUNK) {
            List<TaskExample> chunk = examples.subList(from, Math.min(examples.size(), from + CHUNK));
            List<SequenceRequest> requests = new ArrayList<>();
            for (TaskExample e : chunk) {
                requests.add(new SequenceRequest(
                        model.tokenizer().encode(ModelPrompt.text(e, model.chatTemplate())), greedy, 0));
            }
            List<Completion> out = generator.generate(requests);
            List<RewardInput> scored = new ArrayList<>();
            for (int i = 0; i < chunk.size(); i++) {
                scored.add(inputs.of(chunk.get(i), out.get(i), from + i));
            }
            for (double s : reward.score(scored).scores()) {
                if (s >= 1.0) {
                    correct++;
                }
            }
        }
        return (double) correct / examples.size();
    }
}
