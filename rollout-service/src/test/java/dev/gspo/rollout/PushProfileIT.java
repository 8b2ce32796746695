package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.support.WeightSets;
import dev.gspo.rollout.weights.PolicyRegistry;
import dev.gspo.rollout.weights.PushMeters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * Every installed push leaves its stage profile and the CPU time of its request and hashing threads in the replica's
 * meters.
 */
@RolloutIT
@DirtiesContext
class PushProfileIT {
    private static final String[] STAGES = {"read", "hash", "sha256", "parse", "build", "swap", "hash-thread"};

    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    @Autowired
    MeterRegistry meters;

    @Test
    void anInstalledPushIsTimedStageByStageAndARejectedOneIsNot() {
        TestClient client = new TestClient(port);
        ModelConfig config = registry.current().model().config();
        byte[] body = WeightSets.randomBytes(config, 5);
        long next = registry.current().version() + 1;

        assertThat(client.push(next, body).statusCode()).isEqualTo(200);

        for (String stage : STAGES) {
            Timer t = meters.find(PushMeters.STAGE).tag("stage", stage).timer();
            assertThat(t).as(stage).isNotNull();
            assertThat(t.count()).as(stage).isEqualTo(1);
        }
        assertThat(meters.find(PushMeters.STAGE).timers()).hasSize(STAGES.length);
        Timer cpu = meters.find(PushMeters.CPU).timer();
        assertThat(cpu.count()).isEqualTo(1);
        // the threads at least copied and hashed the body: more than nothing, less than their wall times (the
        // request thread's stages plus the hashing thread's busy time, hash-thread)
        double wall = meters.find(PushMeters.STAGE).timers().stream()
                .mapToDouble(t -> t.totalTime(TimeUnit.NANOSECONDS))
                .sum();
        assertThat(cpu.totalTime(TimeUnit.NANOSECONDS)).isPositive().isLessThanOrEqualTo(wall * 1.05 + 2e6);

        String wrong = PolicyModel.sha256(WeightSets.randomBytes(config, 6));
        assertThat(client.push(body, Long.toString(next + 1), wrong, "Bearer " + RolloutIT.PUSH_TOKEN)
                        .statusCode())
                .isEqualTo(400);
        assertThat(meters.find(PushMeters.STAGE).tag("stage", "read").timer().count())
                .isEqualTo(1);
        assertThat(cpu.count()).isEqualTo(1);
    }
}
