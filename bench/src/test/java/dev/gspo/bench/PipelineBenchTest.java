package dev.gspo.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The arithmetic and the run config of the pipeline section (the runs themselves take minutes: ./gspo bench). */
class PipelineBenchTest {

    @Test
    void stepsPerMinuteIsSixtyTimesTheStepsOverTheirSummedSeconds() {
        // 4 steps in 0.5 + 1.5 + 1 + 1 = 4 s: 60 steps/min
        assertThat(PipelineBench.stepsPerMinute(new double[] {0.5, 1.5, 1, 1})).isCloseTo(60.0, within(1e-12));
        assertThat(PipelineBench.stepsPerMinute(new double[] {3})).isCloseTo(20.0, within(1e-12));
        assertThatThrownBy(() -> PipelineBench.stepsPerMinute(new double[0])).hasMessageContaining("0 steps");
    }

    @Test
    void theRunConfigIsTheMainJobWithTheArmsSeedStepsAndStalenessBound() throws Exception {
        ObjectNode c = PipelineBench.runConfig(Path.of("..", "config", "main-job.json"), 2, 20, 1, 10);
        assertThat(c.get("seed").asLong()).isEqualTo(2);
        assertThat(c.get("steps").asInt()).isEqualTo(20);
        assertThat(c.get("sampling").get("maxStaleness").asInt()).isEqualTo(1);
        assertThat(c.get("sampling").get("dynamicSampling").asBoolean()).isTrue(); // the main job's own
        assertThat(c.get("eval").get("every").asInt()).isEqualTo(10);
    }
}
