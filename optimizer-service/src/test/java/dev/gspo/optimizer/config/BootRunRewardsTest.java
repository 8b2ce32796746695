package dev.gspo.optimizer.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.reward.FormatRewardSpec;
import dev.gspo.common.reward.HttpRewardSpec;
import dev.gspo.optimizer.runconfig.RunConfig;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code ./gspo train --set 'rewards=[…]'}: the property the script passes reaches the run config as a list. */
class BootRunRewardsTest {

    @Test
    void rewardsGivenAsABootRunOverrideReplaceTheTasksOwn() throws IOException {
        Map<String, String> arguments = Map.of(
                "gspo.optimizer.boot-run.set.rewards",
                "[{\"fn\":\"http\",\"url\":\"http://127.0.0.1:8090/v1/score\",\"tokenSecret\":\"grader\"},"
                        + "{\"fn\":\"format\",\"weight\":0.2}]");
        OptimizerProperties properties = new Binder(new MapConfigurationPropertySource(arguments))
                .bindOrCreate("gspo.optimizer", OptimizerProperties.class);

        RunConfig config = BootRunConfig.read("", properties.bootRun().set()).withDefaults();

        assertThat(config.rewards()).hasSize(2);
        assertThat(config.rewards().get(0))
                .isInstanceOfSatisfying(
                        HttpRewardSpec.class, h -> assertThat(h.tokenSecret()).isEqualTo("grader"));
        assertThat(config.rewards().get(1)).isInstanceOf(FormatRewardSpec.class);
        assertThat(config.validate()).isEmpty();
    }
}
