package dev.gspo.optimizer.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dynamic sampling inside {@link TrainingRun}, with a scripted fleet on 1-digit addition: a prompt whose sum is even
 * gets G right answers of 5 tokens (all rewards 1: no gradient), one whose sum is odd gets right and wrong answers of 2
 * tokens. The tokens a step trained on then tell which groups reached the loss: 2·G·P exactly when only informative
 * groups did.
 */
class DynamicSamplingRunTest {
    private static final int P = 4;
    private static final int G = 4;

    @Test
    void droppedGroupsNeverReachTheLoss(@TempDir Path dir) {
        TrainingRun run = run(dir, 1, true, 12, new ArrayList<>());
        assertThat(run.history()).hasSize(4);
        for (StepMetrics m : run.history()) {
            assertThat(m.trainTokens()).as("step %d", m.step()).isEqualTo(2L * G * P);
        }
        assertThat(run.history()).anyMatch(m -> m.droppedGroupShare() > 0 && m.extraRollouts() > 0);
        // the control: without dynamic sampling the zero-variance groups (5 tokens each) are trained on too
        TrainingRun plain = run(dir.resolve("plain"), 1, false, 12, new ArrayList<>());
        assertThat(plain.history()).anyMatch(m -> m.trainTokens() > 2L * G * P);
        assertThat(plain.history()).allMatch(m -> m.droppedGroupShare() == 0 && m.extraRollouts() == 0);
    }

    @Test
    void theExtraRolloutsOfAStepStayWithinTheBound(@TempDir Path dir) {
        List<Call> calls = new ArrayList<>();
        TrainingRun run = run(dir, 1, true, 3, calls);
        for (StepMetrics m : run.history()) {
            assertThat(m.extraRollouts()).isLessThanOrEqualTo(3L * G);
            assertThat(m.rolloutTokens()).isLessThanOrEqualTo((P + 3L) * G * 5);
        }
        assertThat(calls.stream().mapToInt(c -> c.prompts().size()).sum())
                .isLessThanOrEqualTo(run.history().size() * (P + 3));
    }

    @Test
    void rolloutSeedsAndPromptsAreTheSameInEveryRunOfASeed(@TempDir Path dir) {
        List<Call> a = new ArrayList<>();
        List<Call> b = new ArrayList<>();
        List<Call> other = new ArrayList<>();
        List<Call> plain = new ArrayList<>();
        run(dir.resolve("a"), 7, true, 12, a, 2);
        run(dir.resolve("b"), 7, true, 12, b, 2);
        run(dir.resolve("other"), 8, true, 12, other, 1);
        run(dir.resolve("plain"), 7, false, 12, plain, 1);
        assertThat(a).hasSizeGreaterThan(2); // extra rounds happened
        assertThat(b).isEqualTo(a);
        assertThat(other.getFirst()).isNotEqualTo(a.getFirst());
        // the first draw of each step is the draw of a run without dynamic sampling
        assertThat(a.getFirst()).isEqualTo(plain.getFirst());
    }

    record Call(List<String> prompts, long seed) {}

    private static TrainingRun run(Path dir, long seed, boolean dynamic, int maxOverSample, List<Call> calls) {
        return run(dir, seed, dynamic, maxOverSample, calls, 4);
    }

    private static TrainingRun run(
            Path dir, long seed, boolean dynamic, int maxOverSample, List<Call> calls, int steps) {
        RunConfig config = RunConfigJson.read("""
                {"task":{"name":"addition","minDigits":1,"maxDigits":1},"seed":%d,"steps":%d,
                 "sampling":{"promptsPerStep":%d,"groupSize":%d,"maxNewTokens":5,
                             "dynamicSampling":%s,"maxOverSample":%d},
                 "objective":{"oldLogprobs":"recompute"},
                 "optimizer":{"miniBatches":1},"eval":{"size":0},"checkpointing":{"every":0}}""".formatted(seed, steps, P, G, dynamic, maxOverSample))
                .withDefaults();
        TrainingRun run =
                new TrainingRun("r", config, dir, scripted(calls), WarmStartStopTest.SINK, new RunListener() {});
        run.run();
        return run;
    }

    /** Even sums: G right answers of 5 tokens; odd sums: right and wrong answers of 2 tokens in turn. */
    private static RolloutSource scripted(List<Call> calls) {
        return (prompts, groupSize, sampling, seed, minVersion) -> {
            calls.add(new Call(List.copyOf(prompts), seed));
            return ScriptedGroups.evenSumsAllRightOddSumsMixed(prompts, groupSize, minVersion);
        };
    }
}
