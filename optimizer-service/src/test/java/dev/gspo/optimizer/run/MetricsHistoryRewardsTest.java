package dev.gspo.optimizer.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.support.Steps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsHistoryRewardsTest {

    @Test
    void eachFunctionsMeanSurvivesTheHistoryFileInConfigOrder(@TempDir Path runDir) {
        Map<String, Double> rewards = new LinkedHashMap<>();
        rewards.put("math", 0.25);
        rewards.put("format", 1.0);
        rewards.put("grader.correct", 0.5);
        StepMetrics written = Steps.withRewards(1, 0.45, rewards);

        new MetricsHistoryFile(runDir).onStep(written);
        List<StepMetrics> read = MetricsHistoryFile.read(runDir);

        assertThat(read).hasSize(1);
        assertThat(read.getFirst().rewards())
                .containsExactly(Map.entry("math", 0.25), Map.entry("format", 1.0), Map.entry("grader.correct", 0.5));
        assertThat(read.getFirst().rewardMean()).isEqualTo(0.45);
    }

    @Test
    void aHistoryWrittenBeforeRewardsWereConfigurableReadsWithoutABreakdown(@TempDir Path runDir) throws Exception {
        new MetricsHistoryFile(runDir).onStep(Steps.withRewards(1, 0.3, Map.of("task", 0.3)));
        Path file = runDir.resolve(MetricsHistoryFile.FILE);
        Files.writeString(file, Files.readString(file).replace(",\"rewards\":{\"task\":0.3}", ""));
        assertThat(Files.readString(file)).doesNotContain("rewards");

        List<StepMetrics> read = MetricsHistoryFile.read(runDir);

        assertThat(read).hasSize(1);
        assertThat(read.getFirst().rewards()).isEmpty();
    }
}
