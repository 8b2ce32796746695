package dev.gspo.optimizer.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class RunConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void routingReplayIsOffByDefaultAndTheBuiltinMoeModelIsAValidModel() throws Exception {
        RunConfig config =
                JSON.readValue("{\"model\":\"moe\"}", RunConfig.class).withDefaults();
        assertThat(config.routingReplay()).isFalse();
        assertThat(config.validate()).isEmpty();
        assertThat(config.withRoutingReplay(true).validate()).isEmpty();
    }

    @Test
    void routingReplayOnTheDenseBuiltinModelIsRefusedNamingTheField() throws Exception {
        RunConfig config =
                JSON.readValue("{\"routingReplay\":true}", RunConfig.class).withDefaults();
        assertThat(config.validate())
                .singleElement()
                .asString()
                .startsWith("routingReplay:")
                .contains("dense");
    }
}
