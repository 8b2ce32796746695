package dev.gspo.optimizer.loop;

import dev.gspo.common.task.Demonstration;
import dev.gspo.common.task.Task;
import dev.gspo.common.tokenizer.PolicyTokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * How a response ends in a run, for the supervised warm start: a demonstration teaches the policy to end its answer
 * the way the run's sampling ends it. A task's ideal completion is its answer followed by {@link Task#STOP}, a
 * newline; the warm-start target keeps it when the run stops at a newline (the built-in tasks), and otherwise ends
 * the answer with the run's first stop string or, when the run stops at the model's EOS only, with the EOS token.
 */
final class ResponseEnd {
    private ResponseEnd() {}

    /**
     * The token ids the warm start trains the policy to produce for {@code d}.
     *
     * @param stop the run's {@code sampling.stop}
     */
    static int[] demonstrationIds(PolicyTokenizer tokenizer, Demonstration d, List<String> stop) {
        String completion = d.completion();
        if (stop.contains(Task.STOP) || !completion.endsWith(Task.STOP)) {
            return tokenizer.encode(completion);
        }
        String answer = completion.substring(0, completion.length() - Task.STOP.length());
        if (!stop.isEmpty()) {
            return tokenizer.encode(answer + stop.getFirst());
        }
        int[] ids = tokenizer.encode(answer);
        int[] withEos = Arrays.copyOf(ids, ids.length + 1);
        withEos[ids.length] = tokenizer.eosTokenId();
        return withEos;
    }
}
