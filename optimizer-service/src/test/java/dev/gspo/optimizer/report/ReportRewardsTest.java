package dev.gspo.optimizer.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import dev.gspo.optimizer.support.Steps;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportRewardsTest {

    private static Map<String, Double> rewards(double math, double format) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("math", math);
        m.put("format", format);
        return m;
    }

    @Test
    void theReportHasEachRewardFunctionsWeightAndMeansThenTheirValuesPerStep() throws Exception {
        RunConfig config = RunConfigJson.read("{\"rewards\":[{\"fn\":\"math\"},{\"fn\":\"format\",\"weight\":0.2}]}")
                .withDefaults();
        ReportWriter.RunSummary run = new ReportWriter.RunSummary(
                "run-x",
                "completed",
                config,
                List.of(Steps.withRewards(1, 0.2, rewards(0.1, 0.5)), Steps.withRewards(2, 0.5, rewards(0.3, 1.0))),
                List.of(),
                Double.NaN,
                Double.NaN,
                1);

        String md = ReportWriter.markdown(run);

        assertThat(md)
                .contains("## Reward functions")
                .contains("| math | math | 1 | 0.100 | 0.300 | 0.200 |")
                .contains("| format | format | 0.2 | 0.500 | 1.000 | 0.750 |")
                .contains("| step | math | format |")
                .contains("| 2 | 0.300 | 1.000 |");
        assertThat(md.indexOf("## Reward functions")).isLessThan(md.indexOf("## Config"));
    }

    @Test
    void aRunWithOneFunctionHasNoPerStepRewardTable() throws Exception {
        ReportWriter.RunSummary run = new ReportWriter.RunSummary(
                "run-y",
                "completed",
                RunConfig.empty().withDefaults(),
                List.of(Steps.withRewards(1, 0.4, Map.of("task", 0.4))),
                List.of(),
                Double.NaN,
                Double.NaN,
                1);

        String md = ReportWriter.markdown(run);

        assertThat(md).contains("| task | task | 1 | 0.400 | 0.400 | 0.400 |").doesNotContain("| step | task |");
    }
}
