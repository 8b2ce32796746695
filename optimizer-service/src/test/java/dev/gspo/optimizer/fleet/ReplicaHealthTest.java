package dev.gspo.optimizer.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gspo.common.decode.SamplingParams;
import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.publish.PolicyPublisher;
import dev.gspo.optimizer.publish.ReplicaVersion;
import dev.gspo.optimizer.publish.WeightPublisher;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One of two replicas hangs (accepts connections, answers nothing): the first request to it costs one timeout, then
 * no share and no push goes to it, and when it answers a probe again it gets the latest version and rejoins.
 */
class ReplicaHealthTest {
    private static final Duration ROLLOUT_TIMEOUT = Duration.ofMillis(800);
    private static final Duration PUSH_TIMEOUT = Duration.ofMillis(800);
    private static final SamplingParams SAMPLING = new SamplingParams(4, 1.0, 1.0, 0, List.of("\n"));
    private static final List<String> PROMPTS = List.of("1+1=", "2+2=", "3+3=", "4+4=");

    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private FakeReplica a;
    private FakeReplica b;
    private ReplicaHealth health;
    private PolicyPublisher publisher;
    private FleetClient fleet;

    @BeforeEach
    void fleet() throws Exception {
        a = new FakeReplica();
        b = new FakeReplica();
        health = new ReplicaHealth(r -> ReplicaVersion.of(http, r, Duration.ofMillis(300)), Duration.ofMillis(200));
        WeightPublisher weights = new WeightPublisher(http, "token", PUSH_TIMEOUT, 3, executor);
        publisher = new PolicyPublisher(
                new StaticEndpoints(List.of(a.url(), b.url())), weights, http, Duration.ofMillis(300), r -> {}, health);
        PolicyPublisher p = publisher;
        health.catchUpWith(() -> p.latest() == null ? 0 : p.latest().version(), p::bringUpToDate);
        fleet = new FleetClient(
                http, publisher, RolloutTimeouts.fixed(ROLLOUT_TIMEOUT), 2, executor, (r, o, s) -> {}, health);
    }

    @AfterEach
    void close() {
        health.close();
        a.close();
        b.close();
        executor.shutdownNow();
    }

    @Test
    void aHungReplicaCostsOneTimeoutThenIsSkippedAndCatchesUpWhenItAnswersAgain() {
        publish(1);
        assertThat(List.of(a.version(), b.version())).containsExactly(1L, 1L);

        b.hang();
        Duration first = timed(() -> fleet.sample(PROMPTS, 2, SAMPLING, 7, 1));
        assertThat(first).as("the first step waits for the hung replica once").isGreaterThanOrEqualTo(ROLLOUT_TIMEOUT);
        assertThat(health.available(b.url())).isFalse();
        assertThat(health.open(List.of(a.url(), b.url()))).isEqualTo(1);

        int bRollouts = b.rollouts.get();
        Duration second = timed(() -> fleet.sample(PROMPTS, 2, SAMPLING, 8, 1));
        assertThat(second).as("later steps do not wait for it").isLessThan(ROLLOUT_TIMEOUT.dividedBy(2));
        assertThat(b.rollouts.get()).isEqualTo(bRollouts);

        Duration push = timed(() -> publish(2));
        assertThat(push).as("publishing skips it").isLessThan(PUSH_TIMEOUT.dividedBy(2));
        assertThat(a.version()).isEqualTo(2);
        assertThat(health.behind(List.of(a.url(), b.url()))).isEqualTo(1);

        b.recover();
        await().atMost(Duration.ofSeconds(20)).until(() -> health.available(b.url()));
        assertThat(b.version())
                .as("caught up to the latest version before it rejoined")
                .isEqualTo(2);
        assertThat(health.behind(List.of(a.url(), b.url()))).isZero();
        fleet.sample(PROMPTS, 2, SAMPLING, 9, 2);
        assertThat(b.rollouts.get()).as("it serves shares again").isGreaterThan(bRollouts);
        assertThat(health.opened()).isEqualTo(1);
        assertThat(health.opened(b.url()))
                .as("counted for the replica that hung")
                .isEqualTo(1);
        assertThat(health.opened(a.url())).isZero();
    }

    @Test
    void aPushThatTimesOutIsNotRetriedAndOpensTheCircuit() {
        publish(1);
        b.hang();
        PublishResult[] result = new PublishResult[1];
        Duration took = timed(() -> result[0] = publisher.publish(2, new byte[] {1, 2, 3}, "00"));
        assertThat(took).isLessThan(PUSH_TIMEOUT.multipliedBy(2));
        PublishResult.Replica toB = result[0].replicas().stream()
                .filter(r -> r.endpoint().equals(b.url()))
                .findFirst()
                .orElseThrow();
        assertThat(toB.ok()).isFalse();
        assertThat(toB.attempts()).isEqualTo(1);
        assertThat(health.available(b.url())).isFalse();
    }

    @Test
    void aRunStartDoesNotWaitLongForAHungReplicasVersion() {
        publish(3);
        b.hang();
        Duration took =
                timed(() -> assertThat(publisher.highestReplicaVersion()).isEqualTo(3));
        assertThat(took).isLessThan(Duration.ofSeconds(2));
        assertThat(health.available(b.url())).isFalse();
    }

    @Test
    void theTimeoutOfARolloutGrowsWithItsSizeBetweenFloorAndCap() {
        RolloutTimeouts t = new RolloutTimeouts(Duration.ofSeconds(10), Duration.ofMillis(5), Duration.ofSeconds(120));
        assertThat(t.forRequest(4, 4, 5)).isEqualTo(Duration.ofMillis(10_400));
        assertThat(t.forRequest(64, 8, 8)).isEqualTo(Duration.ofMillis(10_000 + 5 * 4096));
        assertThat(t.forRequest(512, 64, 512)).isEqualTo(Duration.ofSeconds(120));
        assertThat(RolloutTimeouts.fixed(Duration.ofSeconds(30)).forRequest(512, 64, 512))
                .isEqualTo(Duration.ofSeconds(30));
    }

    private void publish(long version) {
        publisher.publish(version, new byte[] {1, 2, 3}, "00");
    }

    private static Duration timed(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return Duration.ofNanos(System.nanoTime() - t0);
    }
}
