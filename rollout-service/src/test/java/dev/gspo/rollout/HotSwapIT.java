package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.wire.PromptInput;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.common.wire.SamplingSpec;
import dev.gspo.rollout.support.PolicyOracle;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.support.WeightSets;
import dev.gspo.rollout.weights.PolicyRegistry;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * Many callers sample while new versions are pushed: every response must be the work of exactly the version it
 * names. The test keeps each version's weights and recomputes every returned log-prob under the named version (and,
 * to show the check has teeth, under every other version, where it must fail).
 */
@RolloutIT
@DirtiesContext
class HotSwapIT {
    private static final int CALLERS = 4;
    private static final int REQUESTS_PER_CALLER = 6;
    private static final int VERSIONS = 4;
    private static final double TEMPERATURE = 1.0;

    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    @Test
    void everyResponseIsConsistentWithExactlyTheVersionItNames() throws Exception {
        TestClient client = new TestClient(port);
        ModelConfig config = registry.current().model().config();
        try (PolicyOracle oracle = new PolicyOracle(registry.current().model());
                ExecutorService pool = Executors.newFixedThreadPool(CALLERS)) {
            HttpResponse<byte[]> v0 = client.getBytes("/v1/policy/weights");
            oracle.remember(0, v0.body());
            List<byte[]> pushes = new ArrayList<>();
            for (int v = 1; v <= VERSIONS; v++) {
                byte[] bytes = WeightSets.randomBytes(config, 500 + v);
                oracle.remember(v, bytes);
                pushes.add(bytes);
            }
            ConcurrentLinkedQueue<RolloutResponse> responses = new ConcurrentLinkedQueue<>();
            AtomicInteger done = new AtomicInteger();
            List<Future<?>> callers = new ArrayList<>();
            for (int c = 0; c < CALLERS; c++) {
                int caller = c;
                callers.add(pool.submit(() -> {
                    for (int i = 0; i < REQUESTS_PER_CALLER; i++) {
                        responses.add(client.rollout(request(100L * caller + i)));
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (int v = 1; v <= VERSIONS; v++) {
                int answered = 4 * v; // push version v once 4v responses are in, so versions interleave with requests
                waitUntil(() -> done.get() >= answered || allDone(callers), done);
                HttpResponse<String> pushed = client.push(v, pushes.get(v - 1));
                assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
            }
            for (Future<?> f : callers) {
                f.get();
            }

            assertThat(responses).hasSize(CALLERS * REQUESTS_PER_CALLER);
            Map<Long, Long> perVersion = new TreeMap<>(responses.stream()
                    .collect(Collectors.groupingBy(RolloutResponse::policyVersion, Collectors.counting())));
            assertThat(perVersion.keySet())
                    .as("versions seen: %s", perVersion)
                    .hasSizeGreaterThan(1)
                    .allMatch(v -> v >= 0 && v <= VERSIONS);
            double worstOwn = 0;
            double closestOther = Double.MAX_VALUE;
            for (RolloutResponse r : responses) {
                PolicyOracle.Agreement a = oracle.agreement(r, TEMPERATURE);
                worstOwn = Math.max(worstOwn, a.own());
                closestOther = Math.min(closestOther, a.closestOther());
                assertThat(a.own())
                        .as("response of version %d scored under it", r.policyVersion())
                        .isLessThanOrEqualTo(1e-5);
                assertThat(a.closestOther())
                        .as("response of version %d scored under any other version", r.policyVersion())
                        .isGreaterThan(1e-3);
            }
            System.out.printf(
                    "hot swap: responses per version %s; max log-prob error under the named version %.2e, "
                            + "min under any other %.2e%n",
                    perVersion, worstOwn, closestOther);
            assertThat(client.policy().version()).isEqualTo(VERSIONS);
            assertThat(oracle.versions()).isEqualTo(Set.of(0L, 1L, 2L, 3L, 4L));
        }
    }

    private static RolloutRequest request(long seed) {
        return new RolloutRequest(
                List.of(PromptInput.tokens("x", 1, 3, 5, 7), PromptInput.tokens("y", 6, 2)),
                4,
                SamplingSpec.of(8, TEMPERATURE, seed),
                null);
    }

    private static boolean allDone(List<Future<?>> futures) {
        return futures.stream().allMatch(Future::isDone);
    }

    /** Waits on a condition of the test's own progress (not on time); gives up after a generous bound. */
    private static void waitUntil(java.util.function.BooleanSupplier condition, AtomicInteger done) {
        org.awaitility.Awaitility.await("progress (" + done.get() + " responses so far)")
                .atMost(java.time.Duration.ofMinutes(2))
                .pollInterval(java.time.Duration.ofMillis(2))
                .until(condition::getAsBoolean);
    }
}
