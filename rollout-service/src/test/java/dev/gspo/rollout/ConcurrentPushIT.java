package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.wire.PolicyInfo;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * Weight pushes that race each other, while callers keep sampling: many threads released at once push the same
 * version with the same bytes; then several threads each push every version of a range in its own random order (so
 * versions race and older ones arrive after newer ones); then versions older than the served one, at once. A push
 * refused because another is in flight (409 "Push in progress", Retry-After) is sent again, as a client is told to.
 * Exactly one push per version may swap, only forward, never a 5xx; what is served at the end is exactly
 * the newest version's bytes; and no rollout or policy read during the races mixes versions.
 */
@RolloutIT
@DirtiesContext
class ConcurrentPushIT {
    private static final double TEMPERATURE = 1.0;
    private static final int SAME_VERSION_PUSHERS = 8;
    private static final long FIRST = 2;
    private static final long LAST = 9;
    private static final int PUSHERS = 4;
    private static final int SAMPLERS = 3;
    /** Pushes refused because another was in flight, and sent again. */
    private static final AtomicLong BUSY = new AtomicLong();

    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    /** One push's outcome: the version it carried and the answer. */
    record Outcome(long version, int status, String body) {}

    @Test
    void racingPushesInstallEachVersionAtMostOnceOnlyForwardAndNeverMixVersions() throws Exception {
        TestClient client = new TestClient(port);
        ModelConfig config = registry.current().model().config();
        Map<Long, byte[]> bytes = new HashMap<>();
        try (PolicyOracle oracle = new PolicyOracle(registry.current().model());
                ExecutorService pool = Executors.newCachedThreadPool()) {
            bytes.put(0L, client.getBytes("/v1/policy/weights").body());
            for (long v = 1; v <= LAST; v++) {
                bytes.put(v, WeightSets.randomBytes(config, 900 + v));
            }
            bytes.forEach(oracle::remember);

            // callers sample and read /v1/policy for as long as the pushes race
            AtomicBoolean racing = new AtomicBoolean(true);
            AtomicLong newestSampled = new AtomicLong(-1);
            ConcurrentLinkedQueue<List<RolloutResponse>> perSampler = new ConcurrentLinkedQueue<>();
            List<Future<?>> readers = new ArrayList<>();
            for (int c = 0; c < SAMPLERS; c++) {
                long seed = 1000L * c;
                readers.add(pool.submit(() -> perSampler.add(sampleWhile(client, racing, newestSampled, seed))));
            }
            List<PolicyInfo> policyReads = Collections.synchronizedList(new ArrayList<>());
            readers.add(pool.submit(() -> {
                while (racing.get()) {
                    policyReads.add(client.policy());
                }
            }));

            // each phase starts once a rollout has come back from the version the previous one installed (waits on
            // progress, not time), so rollouts are made before, between and after the races
            awaitRolloutOf(0, newestSampled);
            // (a) the same version, the same bytes, from many threads at once
            List<Long> same = Collections.nCopies(SAME_VERSION_PUSHERS, 1L);
            List<Outcome> sameOutcomes = pushAllAtOnce(pool, client, same, bytes);
            // (b) PUSHERS threads released at once, each pushing its own seeded permutation of FIRST..LAST one
            // after another: versions race each other and older ones keep arriving after newer ones
            List<List<Long>> orders = new ArrayList<>();
            Random shuffle = new Random(42);
            for (int t = 0; t < PUSHERS; t++) {
                List<Long> order = new ArrayList<>();
                for (long v = FIRST; v <= LAST; v++) {
                    order.add(v);
                }
                Collections.shuffle(order, shuffle);
                orders.add(order);
            }
            awaitRolloutOf(1, newestSampled);
            List<List<Outcome>> perPusher = pushInParallel(pool, client, orders, bytes);
            List<Outcome> differentOutcomes =
                    perPusher.stream().flatMap(List::stream).toList();
            awaitRolloutOf(LAST, newestSampled);
            // (c) older versions after the newest, again at once
            List<Outcome> staleOutcomes = pushAllAtOnce(pool, client, List.of(1L, 3L, 5L, 8L, LAST), bytes);

            racing.set(false);
            for (Future<?> f : readers) {
                f.get();
            }

            List<Outcome> all = new ArrayList<>(sameOutcomes);
            all.addAll(differentOutcomes);
            all.addAll(staleOutcomes);
            for (Outcome o : all) {
                assertThat(o.status())
                        .as("push of v%d: %s", o.version(), o.body())
                        .isIn(200, 409);
                if (o.status() == 200) {
                    PolicyInfo info = TestClient.read(o.body(), PolicyInfo.class);
                    assertThat(info.version()).isEqualTo(o.version());
                    assertThat(info.sha256()).isEqualTo(PolicyModel.sha256(bytes.get(o.version())));
                } else {
                    assertThat(TestClient.tree(o.body()).path("title").asText()).isEqualTo("Stale policy version");
                    assertThat(TestClient.tree(o.body()).path("detail").asText())
                            .contains("only move forward");
                }
            }
            Map<Long, Long> accepted = new TreeMap<>();
            all.stream().filter(o -> o.status() == 200).forEach(o -> accepted.merge(o.version(), 1L, Long::sum));
            assertThat(accepted.get(1L))
                    .as("pushes of the same version that swapped")
                    .isEqualTo(1);
            assertThat(accepted.values())
                    .as("accepted pushes per version: %s", accepted)
                    .allMatch(n -> n == 1);
            assertThat(accepted).containsKey(LAST);
            assertThat(staleOutcomes).extracting(Outcome::status).containsOnly(409);
            for (List<Outcome> sequence : perPusher) {
                assertThat(sequence.stream()
                                .filter(o -> o.status() == 200)
                                .map(Outcome::version)
                                .toList())
                        .as("versions one pusher got accepted, in its own order: never backwards")
                        .isSorted();
            }

            // what is served at the end is exactly the newest version
            PolicyInfo served = client.policy();
            assertThat(served.version()).isEqualTo(LAST);
            assertThat(served.sha256()).isEqualTo(PolicyModel.sha256(bytes.get(LAST)));
            HttpResponse<byte[]> weights = client.getBytes("/v1/policy/weights");
            assertThat(weights.body()).isEqualTo(bytes.get(LAST));
            RolloutResponse probe = client.rollout(request(7));
            assertThat(probe.policyVersion()).isEqualTo(LAST);
            assertThat(oracle.maxError(LAST, probe, TEMPERATURE)).isLessThanOrEqualTo(1e-5);

            // nothing read during the races mixed versions or went backwards
            for (PolicyInfo p : policyReads) {
                assertThat(p.sha256())
                        .as("/v1/policy read at version %d", p.version())
                        .isEqualTo(PolicyModel.sha256(bytes.get(p.version())));
            }
            assertThat(policyReads).extracting(PolicyInfo::version).isSorted();
            java.util.Set<Long> installed = new java.util.HashSet<>(accepted.keySet());
            installed.add(0L);
            int rollouts = 0;
            Map<Long, Long> perVersion = new TreeMap<>();
            for (List<RolloutResponse> sequence : perSampler) {
                assertThat(sequence)
                        .extracting(RolloutResponse::policyVersion)
                        .as("one caller's versions")
                        .isSorted();
                for (RolloutResponse r : sequence) {
                    assertThat(installed).as("versions installed").contains(r.policyVersion());
                    PolicyOracle.Agreement a = oracle.agreement(r, TEMPERATURE);
                    assertThat(a.own())
                            .as("rollout of v%d scored under it", r.policyVersion())
                            .isLessThanOrEqualTo(1e-5);
                    assertThat(a.closestOther())
                            .as("rollout of v%d scored under any other version", r.policyVersion())
                            .isGreaterThan(1e-3);
                    perVersion.merge(r.policyVersion(), 1L, Long::sum);
                    rollouts++;
                }
            }
            assertThat(perVersion).as("rollouts per version").containsKeys(0L, 1L, LAST);
            System.out.printf(
                    "concurrent pushes: %d tried (%d same-version, %d by %d threads in random orders, %d stale), accepted per "
                            + "version %s, %d × 409 (and %d × busy, sent again); %d rollouts during the races, per version "
                            + "%s; %d policy reads%n",
                    all.size(),
                    sameOutcomes.size(),
                    differentOutcomes.size(),
                    PUSHERS,
                    staleOutcomes.size(),
                    accepted,
                    all.stream().filter(o -> o.status() == 409).count(),
                    BUSY.get(),
                    rollouts,
                    perVersion,
                    policyReads.size());
        }
    }

    /** Pushes every listed version from its own thread, all released together. */
    private static List<Outcome> pushAllAtOnce(
            ExecutorService pool, TestClient client, List<Long> versions, Map<Long, byte[]> bytes) throws Exception {
        return pushInParallel(pool, client, versions.stream().map(List::of).toList(), bytes).stream()
                .flatMap(List::stream)
                .toList();
    }

    /** One thread per list, all released together by one latch; each pushes its list in order, one at a time. */
    private static List<List<Outcome>> pushInParallel(
            ExecutorService pool, TestClient client, List<List<Long>> sequences, Map<Long, byte[]> bytes)
            throws Exception {
        CountDownLatch ready = new CountDownLatch(sequences.size());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<Outcome>>> futures = new ArrayList<>();
        for (List<Long> sequence : sequences) {
            futures.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                List<Outcome> outcomes = new ArrayList<>();
                for (long v : sequence) {
                    HttpResponse<String> r = client.push(v, bytes.get(v));
                    // one push is read and installed at a time: a push refused as busy comes back, as it is told
                    while (r.statusCode() == 409
                            && TestClient.tree(r.body()).path("title").asText().equals("Push in progress")) {
                        BUSY.incrementAndGet();
                        Thread.sleep(5);
                        r = client.push(v, bytes.get(v));
                    }
                    outcomes.add(new Outcome(v, r.statusCode(), r.body()));
                }
                return outcomes;
            }));
        }
        ready.await();
        go.countDown();
        List<List<Outcome>> out = new ArrayList<>();
        for (Future<List<Outcome>> f : futures) {
            out.add(f.get());
        }
        return out;
    }

    private static List<RolloutResponse> sampleWhile(
            TestClient client, AtomicBoolean racing, AtomicLong newest, long seed) {
        List<RolloutResponse> out = new ArrayList<>();
        for (long i = 0; racing.get(); i++) {
            RolloutResponse r = client.rollout(request(seed + i));
            out.add(r);
            newest.accumulateAndGet(r.policyVersion(), Math::max);
        }
        return out;
    }

    private static void awaitRolloutOf(long version, AtomicLong newestSampled) {
        await("a rollout of version " + version)
                .atMost(Duration.ofMinutes(1))
                .pollInterval(Duration.ofMillis(2))
                .until(() -> newestSampled.get() >= version);
    }

    private static RolloutRequest request(long seed) {
        return new RolloutRequest(
                List.of(PromptInput.tokens("x", 2, 4, 6)), 2, SamplingSpec.of(6, TEMPERATURE, seed), null);
    }
}
