package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.model.ModelConfig;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.support.WeightSets;
import dev.gspo.rollout.weights.PolicyRegistry;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * Many callers hammer {@code POST /v1/rollouts} for a bounded time while new versions are pushed, against a small
 * queue: every answer is a 200 or explicit back-pressure (503 with {@code Retry-After}), never another error, and the
 * process's resident memory stays bounded. Prints requests, errors, p99 and RSS for the record.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.rollout.seed=11",
            "gspo.rollout.push-token=" + RolloutIT.PUSH_TOKEN,
            "gspo.rollout.max-batch-sequences=32",
            "gspo.rollout.max-queued-sequences=48",
            "gspo.rollout.max-queue-wait=2s",
            "logging.level.dev.gspo=WARN"
        })
@DirtiesContext
class LoadIT {
    private static final int CALLERS = 8;
    private static final long DURATION_MS = 8_000;
    private static final String REQUEST = """
            {"prompts":[{"id":"a","text":"12+34="},{"id":"b","text":"7+5="}],"groupSize":8,
             "sampling":{"maxNewTokens":8,"temperature":1.0,"seed":1,"stop":["\\n"]}}""";

    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    @Test
    void underOverloadEveryAnswerIsSuccessOrExplicitBackPressureAndMemoryStaysBounded() throws Exception {
        TestClient client = new TestClient(port);
        ModelConfig config = registry.current().model().config();
        long rssBefore = rssKb();
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        List<Long> latenciesMs = Collections.synchronizedList(new ArrayList<>());
        long deadline = System.currentTimeMillis() + DURATION_MS;
        try (ExecutorService pool = Executors.newFixedThreadPool(CALLERS)) {
            List<Future<?>> tasks = new ArrayList<>();
            for (int c = 0; c < CALLERS; c++) {
                tasks.add(pool.submit(() -> {
                    while (System.currentTimeMillis() < deadline) {
                        long start = System.nanoTime();
                        HttpResponse<String> r = client.post("/v1/rollouts", "application/json", REQUEST);
                        latenciesMs.add((System.nanoTime() - start) / 1_000_000);
                        statuses.computeIfAbsent(r.statusCode(), s -> new AtomicInteger())
                                .incrementAndGet();
                        if (r.statusCode() == 503) {
                            assertThat(r.headers().firstValue("Retry-After"))
                                    .as("503 says when to retry")
                                    .isPresent();
                            assertThat(r.headers().firstValue("Content-Type").orElse(""))
                                    .startsWith("application/problem+json");
                        } else {
                            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        }
                    }
                    return null;
                }));
            }
            // a new version every second, for as long as the callers run
            AtomicLong version = new AtomicLong(registry.current().version());
            List<Integer> pushStatuses = Collections.synchronizedList(new ArrayList<>());
            try (ScheduledExecutorService pusher = Executors.newSingleThreadScheduledExecutor()) {
                pusher.scheduleAtFixedRate(
                        () -> {
                            long v = version.incrementAndGet();
                            pushStatuses.add(client.push(v, WeightSets.randomBytes(config, v))
                                    .statusCode());
                        },
                        0,
                        1,
                        TimeUnit.SECONDS);
                for (Future<?> f : tasks) {
                    f.get();
                }
                pusher.shutdown();
            }
            assertThat(pushStatuses)
                    .as("every push during the load was taken")
                    .isNotEmpty()
                    .containsOnly(200);
        }
        long rssAfter = rssKb();
        List<Long> sorted = new ArrayList<>(latenciesMs);
        Collections.sort(sorted);
        long p99 = sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(sorted.size() * 0.99) - 1));
        System.out.printf(
                "load: %d requests, statuses %s, p99 %d ms, RSS %d MB → %d MB%n",
                sorted.size(), statuses, p99, rssBefore / 1024, rssAfter / 1024);
        assertThat(statuses.keySet()).containsAnyOf(200).isSubsetOf(200, 503);
        assertThat(statuses.get(200).get())
                .as("work still got done under overload")
                .isPositive();
        assertThat(statuses).as("the small queue pushed back at least once").containsKey(503);
        assertThat(rssAfter - rssBefore).as("RSS growth in kB").isLessThan(600 * 1024);
        assertThat(client.post("/v1/rollouts", "application/json", REQUEST).statusCode())
                .isEqualTo(200);
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return 0;
    }
}
