package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.replica.PushStages;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.support.WeightSets;
import dev.gspo.rollout.weights.PolicyRegistry;
import dev.gspo.rollout.weights.PushMeters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * Every installed push through real HTTP is split into its stages on the replica: the body read off the socket apart
 * from the SHA-256 computed while it arrives, then the checks, the build and the swap; a rejected push is not counted.
 */
@RolloutIT
@DirtiesContext
class PushStageProfileIT {
    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    @Autowired
    MeterRegistry meters;

    @Test
    void eachInstalledPushTimesReadingAndHashingApartThenEveryLaterStage() {
        TestClient client = new TestClient(port);
        List<String> stages = List.of(
                PushStages.READ,
                PushStages.HASH,
                PushStages.SHA256,
                PushStages.PARSE,
                PushStages.FINITE,
                PushStages.BUILD,
                PushStages.SWAP);
        Map<String, Long> before = new HashMap<>();
        stages.forEach(stage -> before.put(stage, count(stage)));
        long cpuBefore = cpuCount();
        ModelConfig config = registry.current().model().config();
        long v = client.policy().version();
        for (int i = 1; i <= 2; i++) {
            HttpResponse<String> ok = client.push(v + i, WeightSets.randomBytes(config, 40 + i));
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        }
        HttpResponse<String> bad = client.push(v + 3, new byte[] {1, 2, 3});
        assertThat(bad.statusCode()).as(bad.body()).isBetween(400, 499);

        for (String stage : stages) {
            Timer t = meters.find(PushMeters.STAGE).tag("stage", stage).timer();
            assertThat(t).as(stage).isNotNull();
            assertThat(t.count() - before.get(stage)).as(stage).isEqualTo(2);
            assertThat(t.totalTime(TimeUnit.NANOSECONDS)).as(stage).isPositive();
        }
        assertThat(cpuCount() - cpuBefore).isEqualTo(2);
    }

    private long count(String stage) {
        Timer t = meters.find(PushMeters.STAGE).tag("stage", stage).timer();
        return t == null ? 0 : t.count();
    }

    private long cpuCount() {
        Timer t = meters.find(PushMeters.CPU).timer();
        return t == null ? 0 : t.count();
    }
}
