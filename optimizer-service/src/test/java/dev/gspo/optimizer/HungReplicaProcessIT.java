package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gspo.optimizer.support.Http;
import dev.gspo.optimizer.support.ServiceProcess;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One of two real rollout replicas is stopped with SIGSTOP in the middle of a real run (the process keeps its socket:
 * connections are accepted, nothing is answered, as with a hung JVM or a frozen node). The step that first sends it a
 * share or a push waits for one timeout (the rollout request's or the push's, whichever reaches it first); after that, steps go at the speed they had before (compared with the step
 * durations measured before the stop, not with a constant), no request goes to it, and publishing skips it. After
 * SIGCONT it answers a probe, gets the latest version pushed and serves again.
 */
class HungReplicaProcessIT {
    private static final String PUSH = "hung-push-token";
    private static final String CONTROL = "hung-control-token";
    private static final Duration TIMEOUT_FLOOR = Duration.ofSeconds(15);
    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(10);
    /**
     * What finding out the hung replica costs the step that does: a push's timeout when the stop lands before the
     * step's publish reaches it, a rollout request's when it lands before its share is answered.
     */
    private static final long FIRST_TIMEOUT_SECONDS = Math.min(TIMEOUT_FLOOR.toSeconds(), PUBLISH_TIMEOUT.toSeconds());

    @Test
    void stepsKeepTheirPaceWhileAReplicaHangsAndItCatchesUpWhenItWakes(@TempDir Path dir) throws Exception {
        try (ServiceProcess a = ServiceProcess.start("rollout-service", dir, "--gspo.rollout.push-token=" + PUSH);
                ServiceProcess b = ServiceProcess.start("rollout-service", dir, "--gspo.rollout.push-token=" + PUSH);
                ServiceProcess optimizer = ServiceProcess.start(
                        "optimizer-service",
                        dir,
                        "--gspo.optimizer.rollout-urls=" + a.url() + "," + b.url(),
                        "--gspo.optimizer.push-token=" + PUSH,
                        "--gspo.optimizer.control-token=" + CONTROL,
                        "--gspo.optimizer.checkpoint-dir=" + dir.resolve("runs"),
                        "--gspo.optimizer.max-attempts=2",
                        "--gspo.optimizer.request-timeout-floor=" + TIMEOUT_FLOOR.toSeconds() + "s",
                        "--gspo.optimizer.request-timeout-per-token=1ms",
                        "--gspo.optimizer.publish-timeout=" + PUBLISH_TIMEOUT.toSeconds() + "s",
                        "--gspo.optimizer.probe-interval=1s",
                        "--gspo.optimizer.probe-timeout=1s")) {
            URI api = optimizer.url();
            Http.Response started = Http.post(api.resolve("/v1/runs"), """
                    {"promptsPerStep":8,"groupSize":4,"miniBatches":1,"maxNewTokens":5,"steps":1000,"evalSize":0,
                     "checkpointEvery":0,"learningRate":1e-4,"seed":9}""", CONTROL);
            assertThat(started.status()).as(started.body()).isEqualTo(201);
            String runId = started.json().get("runId").asText();
            awaitStep(api, runId, 20);

            b.suspend();
            long stoppedAt;
            try {
                String before = scrape(api);
                stoppedAt = step(api, runId);
                awaitStep(api, runId, stoppedAt + 14);
                // the healthy replica is behind too for the moment a step's publish takes to reach it (a scrape can
                // land there when steps are fast): the hung replica stays open and behind, the healthy one catches up
                String during = await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> new Fleet(scrape(api)), f -> f.open() == 1 && f.behind() == 1)
                        .scrape();
                String hung = "replica=\"" + b.url() + "\"";
                assertThat(sum(during, "gspo_fleet_circuit_opened_total", hung)
                                - sum(before, "gspo_fleet_circuit_opened_total", hung))
                        .as(
                                "the hung replica was found out once; the optimizer's fleet warnings:%n%s",
                                fleetWarnings(optimizer))
                        .isEqualTo(1);
                assertThat(sum(during, "gspo_fleet_requests_total", hung, "outcome=\"error\"")
                                - sum(before, "gspo_fleet_requests_total", hung, "outcome=\"error\""))
                        .as("at most one rollout request timed out on it; none was sent to it after that")
                        .isLessThanOrEqualTo(1);
            } finally {
                b.resume();
            }
            long resumedAtVersion = Http.get(api.resolve("/v1/runs/" + runId))
                    .json()
                    .get("policyVersion")
                    .asLong();
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(300))
                    .until(() -> policyVersion(b.url()) >= resumedAtVersion
                            && sum(scrape(api), "gspo_fleet_circuits_open") == 0);
            long caughtUp = policyVersion(b.url());

            List<Double> seconds = new ArrayList<>();
            Http.get(api.resolve("/v1/runs/" + runId + "/metrics"))
                    .json()
                    .get("steps")
                    .forEach(m -> seconds.add(m.get("stepSeconds").asDouble()));
            Http.post(api.resolve("/v1/runs/" + runId + "/stop"), "", CONTROL);

            // steps 1-8 warm up; the first step after the stop that took a timeout (its push's or its rollout's) is
            // where it was found out
            List<Double> before = seconds.subList(8, (int) stoppedAt - 1);
            int found = (int) stoppedAt - 1;
            while (found < seconds.size() && seconds.get(found) < FIRST_TIMEOUT_SECONDS) {
                found++;
            }
            assertThat(found)
                    .as("a step waited for the hung replica's timeout: %s", seconds)
                    .isLessThan(seconds.size());
            List<Double> after = seconds.subList(found + 1, Math.min(seconds.size(), found + 11));
            System.out.printf(
                    Locale.ROOT,
                    "step seconds before SIGSTOP %s (median %.3f); the step that hit the timeout %.3f; after it %s "
                            + "(median %.3f); the replica caught up to version %d (run at %d when it woke); "
                            + "the optimizer's fleet warnings:%n%s%n",
                    before,
                    median(before),
                    seconds.get(found),
                    after,
                    median(after),
                    caughtUp,
                    resumedAtVersion,
                    fleetWarnings(optimizer));
            assertThat(after).hasSizeGreaterThanOrEqualTo(8);
            assertThat(seconds.get(found)).isGreaterThanOrEqualTo(FIRST_TIMEOUT_SECONDS);
            assertThat(median(after))
                    .as("steps after the first timeout go at the pace of the steps before the stop")
                    .isLessThanOrEqualTo(2 * median(before));
            assertThat(after.stream().mapToDouble(Double::doubleValue).max().orElseThrow())
                    .as("no later step waited for a timeout again")
                    .isLessThan(seconds.get(found));
        }
    }

    /** A scrape of the optimizer, shown by its fleet gauges when a wait on them fails. */
    private record Fleet(String scrape) {
        double open() {
            return sum(scrape, "gspo_fleet_circuits_open");
        }

        double behind() {
            return sum(scrape, "gspo_fleet_replicas_behind");
        }

        @Override
        public String toString() {
            return "circuits open " + open() + ", replicas behind " + behind();
        }
    }

    /** The optimizer's warnings and errors (replicas failing, pushes refused): what a reader of a failure needs. */
    private static String fleetWarnings(ServiceProcess optimizer) {
        try {
            return optimizer
                    .log()
                    .lines()
                    .filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                    .collect(java.util.stream.Collectors.joining("\n"));
        } catch (java.io.IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    private static String scrape(URI api) {
        return Http.get(api.resolve("/actuator/prometheus")).body();
    }

    /** The sum of a Prometheus series over its label sets (those whose labels contain each of {@code labels}). */
    private static double sum(String scrape, String name, String... labels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$")
                .matcher(scrape);
        double sum = 0;
        while (m.find()) {
            String set = m.group(1) == null ? "" : m.group(1);
            if (java.util.Arrays.stream(labels).allMatch(set::contains)) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    private static long policyVersion(URI replica) {
        return Http.get(replica.resolve("/v1/policy")).json().get("version").asLong();
    }

    private static void awaitStep(URI api, String runId, long step) {
        await().atMost(Duration.ofMinutes(4))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> step(api, runId) >= step);
    }

    private static long step(URI api, String runId) {
        JsonNode s = Http.get(api.resolve("/v1/runs/" + runId)).json();
        assertThat(s.get("state").asText()).as(s.toString()).isEqualTo("running");
        return s.get("step").asLong();
    }
}
