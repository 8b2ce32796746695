package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.optimizer.support.RawHttp;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * With {@code gspo.optimizer.read-token} set, every read (run status with its paths and error texts, metrics,
 * OpenAPI, the actuator) needs it or the control token; only {@code /actuator/health/**} stays open for probes.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.optimizer.rollout-urls=http://127.0.0.1:9",
            "gspo.optimizer.control-token=" + ReadTokenIT.CONTROL,
            "gspo.optimizer.read-token=" + ReadTokenIT.READ
        })
class ReadTokenIT {
    static final String CONTROL = "Qm7Rt2Kd9Xw4Ls1V";
    static final String READ = "Hc5Np8Fj3Gz6Bt0Y";
    private static final List<String> READS = List.of(
            "/v1/runs", "/v1/runs/x", "/v1/runs/x/metrics", "/v3/api-docs", "/actuator/prometheus", "/actuator/info");

    @Value("${local.server.port}")
    int port;

    @Test
    void readsNeedTheReadTokenOrTheControlToken() {
        for (String path : READS) {
            RawHttp.Response anonymous = get(path, null);
            assertThat(anonymous.status()).as(path).isEqualTo(401);
            assertThat(anonymous.contentType()).as(path).startsWith("application/problem+json");
            assertThat(get(path, "Bearer " + READ.substring(1) + "Z").status())
                    .as(path)
                    .isEqualTo(401);
            assertThat(get(path, "Basic " + READ).status()).as(path).isEqualTo(401);
            assertThat(get(path, "Bearer " + READ).status()).as(path).isIn(200, 404);
            assertThat(get(path, "bearer " + CONTROL).status()).as(path).isIn(200, 404);
        }
        assertThat(get("/v1/runs", "Bearer " + READ).body()).contains("\"runs\"");
    }

    @Test
    void healthProbesNeedNoToken() {
        for (String path : List.of("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness")) {
            assertThat(get(path, null).status()).as(path).isEqualTo(200);
        }
    }

    @Test
    void theReadTokenDoesNotAllowMutations() {
        RawHttp.Response r = RawHttp.send(
                port,
                "POST /v1/runs/x/stop HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + READ + "\r\nContent-Length: 0");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.body()).doesNotContain(READ, CONTROL);
    }

    private RawHttp.Response get(String path, String authorization) {
        return RawHttp.send(
                port,
                "GET " + path + " HTTP/1.1\r\nHost: x"
                        + (authorization == null ? "" : "\r\nAuthorization: " + authorization));
    }
}
