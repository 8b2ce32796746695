package dev.gspo.optimizer.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.FinishReason;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code objective.tisCap} reaches the trainer: the scripted replica reports log-probs of 0 (probability 1) for tokens
 * the untrained model finds far less likely, so every weight min(π_old / π_rollout, C) is far below 1 and the first
 * step's gradient is smaller than the same step's without the cap (same weights, same samples, same π_old).
 */
class TruncatedImportanceRunTest {
    private static final Pattern SUM = Pattern.compile("(\\d+)\\+(\\d+)=");

    @Test
    void aTisCapScalesTheStepByTheCappedRatioOfTheTrainersToTheRolloutsLogprobs(@TempDir Path dir) {
        double plain = firstGradNorm(dir.resolve("plain"), "");
        double capped = firstGradNorm(dir.resolve("capped"), ",\"tisCap\":2");
        assertThat(plain).isFinite().isPositive();
        assertThat(capped).isFinite().isPositive().isLessThan(plain / 10);
    }

    private static double firstGradNorm(Path dir, String tis) {
        var config = RunConfigJson.read("""
                {"task":{"name":"addition","minDigits":1,"maxDigits":1},"seed":5,"steps":1,
                 "sampling":{"promptsPerStep":4,"groupSize":4,"maxNewTokens":5},
                 "objective":{"oldLogprobs":"recompute"%s},
                 "optimizer":{"miniBatches":1},"eval":{"size":0},"checkpointing":{"every":0}}""".formatted(tis)).withDefaults();
        TrainingRun run = new TrainingRun("r", config, dir, scripted(), WarmStartStopTest.SINK, new RunListener() {});
        run.run();
        return run.history().getFirst().gradNorm();
    }

    /** Right and wrong answers in turn, each reported with log-prob 0 per token. */
    private static RolloutSource scripted() {
        return (prompts, groupSize, sampling, seed, minVersion) -> {
            List<RolloutBatch.Group> groups = new ArrayList<>();
            for (String prompt : prompts) {
                Matcher m = SUM.matcher(prompt);
                assertThat(m.find()).as(prompt).isTrue();
                int sum = Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2));
                List<Completion> samples = new ArrayList<>();
                for (int j = 0; j < groupSize; j++) {
                    samples.add(new Completion(
                            new int[] {1 + j % 3, 2},
                            (j % 2 == 0 ? sum : sum + 1) + "\n",
                            new float[2],
                            FinishReason.STOP));
                }
                groups.add(new RolloutBatch.Group(new int[] {6, 7, 8}, minVersion, samples));
            }
            return new RolloutBatch(minVersion, groups);
        };
    }
}
