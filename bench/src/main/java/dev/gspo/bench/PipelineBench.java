package dev.gspo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Pipelined vs strictly on-policy steps (#19 item 4c): the main job ({@code config/main-job.json}, its warm start
 * included) with {@code sampling.maxStaleness} 0 and 1, one rollout-service and one optimizer-service as separate
 * processes from their own jars, each pinned to its own core ({@code taskset -c 0} / {@code -c 1}, one PyTorch thread
 * each): how two nodes, one generating and one training, behave. Per seed and arm it reports GSPO steps per minute
 * (60 · steps / Σ the loop's step seconds: the wall time of the GSPO phase), the split of a step, and the held-out
 * greedy accuracy before and after; then the speed-up of maxStaleness 1 over 0.
 */
final class PipelineBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PUSH_TOKEN = "bench-pipeline-push";
    private static final String CONTROL_TOKEN = "bench-pipeline-control";

    /** What one run measured. */
    record Arm(
            int maxStaleness,
            long seed,
            int steps,
            double stepsPerMinute,
            double rolloutS,
            double trainS,
            double publishS,
            double heldOutBefore,
            double heldOutAfter,
            double meanStale,
            double load) {}

    private final Path rolloutJar;
    private final Path optimizerJar;
    private final Path config;
    private final Path work;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final boolean pinned;

    PipelineBench(Path rolloutJar, Path optimizerJar, Path config, Path work) {
        this.rolloutJar = rolloutJar;
        this.optimizerJar = optimizerJar;
        this.config = config;
        this.work = work;
        this.pinned = Files.isExecutable(Path.of("/usr/bin/taskset")) || Files.isExecutable(Path.of("/bin/taskset"));
    }

    /** Runs every seed with maxStaleness 0 then 1; one row per arm and measure, then the speed-ups. */
    void run(List<Long> seeds, int steps, int evalEvery, Consumer<Row> out) throws Exception {
        List<double[]> speedUps = new ArrayList<>();
        for (long seed : seeds) {
            Arm onPolicy = arm(0, seed, steps, evalEvery);
            rows(onPolicy, out);
            Arm pipelined = arm(1, seed, steps, evalEvery);
            rows(pipelined, out);
            double speedUp = pipelined.stepsPerMinute() / onPolicy.stepsPerMinute();
            speedUps.add(new double[] {speedUp});
            out.accept(new Row(
                    "pipeline",
                    "seed " + seed + ": speed-up of maxStaleness 1 over 0",
                    speedUp,
                    "×",
                    Double.NaN,
                    pipelined.load(),
                    String.format(
                            Locale.ROOT,
                            "held-out after %d steps: %.1f%% (on-policy) vs %.1f%% (maxStaleness 1)",
                            steps,
                            100 * onPolicy.heldOutAfter(),
                            100 * pipelined.heldOutAfter())));
        }
        if (seeds.size() > 1) {
            out.accept(new Row(
                    "pipeline",
                    "mean speed-up over " + seeds.size() + " seeds",
                    speedUps.stream().mapToDouble(x -> x[0]).average().orElseThrow(),
                    "×",
                    Double.NaN,
                    Machine.load(),
                    ""));
        }
    }

    private void rows(Arm a, Consumer<Row> out) {
        String arm = a.maxStaleness() == 0 ? "maxStaleness 0 (on-policy)" : "maxStaleness " + a.maxStaleness();
        out.accept(new Row(
                "pipeline",
                "seed " + a.seed() + ", " + arm + ": GSPO steps",
                a.stepsPerMinute(),
                "steps/min",
                Double.NaN,
                a.load(),
                String.format(
                        Locale.ROOT,
                        "%d steps of the main job%s; per step: waiting for samples %.2f s, train %.2f s, publish %.2f s;"
                                + " mean staleness %.2f",
                        a.steps(),
                        pinned ? ", replica on core 0, optimizer on core 1" : " (not pinned: no taskset here)",
                        a.rolloutS(),
                        a.trainS(),
                        a.publishS(),
                        a.meanStale())));
        out.accept(new Row(
                "pipeline",
                "seed " + a.seed() + ", " + arm + ": held-out accuracy after " + a.steps() + " steps",
                100 * a.heldOutAfter(),
                "%",
                Double.NaN,
                a.load(),
                String.format(Locale.ROOT, "greedy, %.1f%% after the warm start", 100 * a.heldOutBefore())));
    }

    /** One run of the main job with the given staleness bound, on freshly started services. */
    Arm arm(int maxStaleness, long seed, int steps, int evalEvery) throws Exception {
        Path dir = Files.createDirectories(work.resolve("pipeline-s" + maxStaleness + "-seed" + seed));
        int rolloutPort = freePort();
        int optimizerPort = freePort();
        double load = Machine.load();
        Process replica = start(
                0,
                rolloutJar,
                "-Xmx2g",
                dir.resolve("rollout-service.log"),
                "--server.address=127.0.0.1",
                "--server.port=" + rolloutPort,
                "--gspo.rollout.seed=1",
                "--gspo.rollout.push-token=" + PUSH_TOKEN);
        Process optimizer = null;
        try {
            URI rollout = URI.create("http://127.0.0.1:" + rolloutPort);
            awaitReady(rollout, replica);
            optimizer = start(
                    1,
                    optimizerJar,
                    "-Xmx3g",
                    dir.resolve("optimizer-service.log"),
                    "--server.address=127.0.0.1",
                    "--server.port=" + optimizerPort,
                    "--gspo.optimizer.rollout-urls=" + rollout,
                    "--gspo.optimizer.push-token=" + PUSH_TOKEN,
                    "--gspo.optimizer.control-token=" + CONTROL_TOKEN,
                    "--gspo.optimizer.checkpoint-dir=" + dir.resolve("runs"),
                    "--logging.level.gspo.progress=WARN");
            URI base = URI.create("http://127.0.0.1:" + optimizerPort);
            awaitReady(base, optimizer);
            ObjectNode body = runConfig(config, seed, steps, maxStaleness, evalEvery);
            JsonNode created = send(HttpRequest.newBuilder(base.resolve("/v1/runs"))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + CONTROL_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
            String runId = created.get("runId").asText();
            JsonNode status = awaitEnd(base, runId, optimizer);
            if (!status.path("state").asText().equals("completed")) {
                throw new IllegalStateException(
                        "run " + runId + " ended " + status.path("state").asText() + ": "
                                + status.path("error").asText() + " (logs in " + dir + ")");
            }
            JsonNode metrics =
                    get(base.resolve("/v1/runs/" + runId + "/metrics")).get("steps");
            List<JsonNode> m = new ArrayList<>();
            metrics.forEach(m::add);
            return new Arm(
                    maxStaleness,
                    seed,
                    m.size(),
                    stepsPerMinute(m.stream()
                            .mapToDouble(s -> s.get("stepSeconds").asDouble())
                            .toArray()),
                    m.stream()
                            .mapToDouble(s -> s.get("rolloutSeconds").asDouble())
                            .average()
                            .orElse(Double.NaN),
                    m.stream()
                            .mapToDouble(s -> s.get("trainSeconds").asDouble())
                            .average()
                            .orElse(Double.NaN),
                    m.stream()
                            .mapToDouble(s -> s.get("publishSeconds").asDouble())
                            .average()
                            .orElse(Double.NaN),
                    status.path("heldOutAccuracyBefore").asDouble(Double.NaN),
                    status.path("heldOutAccuracyAfter").asDouble(Double.NaN),
                    m.stream()
                            .mapToDouble(s -> s.get("stale").asDouble())
                            .average()
                            .orElse(Double.NaN),
                    load);
        } finally {
            stop(optimizer);
            stop(replica);
        }
    }

    /** GSPO steps per minute of a run whose steps took {@code stepSeconds} each (back to back). */
    static double stepsPerMinute(double[] stepSeconds) {
        double total = 0;
        for (double s : stepSeconds) {
            total += s;
        }
        if (stepSeconds.length == 0 || !(total > 0)) {
            throw new IllegalArgumentException("no measured steps: " + stepSeconds.length + " steps, " + total + " s");
        }
        return 60.0 * stepSeconds.length / total;
    }

    /** The main job's config with the arm's seed, steps, staleness bound and evaluation interval. */
    static ObjectNode runConfig(Path config, long seed, int steps, int maxStaleness, int evalEvery) throws IOException {
        ObjectNode tree = (ObjectNode) JSON.readTree(config.toFile());
        RunConfigJson.set(tree, "seed", LongNode.valueOf(seed));
        RunConfigJson.set(tree, "steps", IntNode.valueOf(steps));
        RunConfigJson.set(tree, "sampling.maxStaleness", IntNode.valueOf(maxStaleness));
        RunConfigJson.set(tree, "eval.every", IntNode.valueOf(evalEvery));
        RunConfigJson.read(tree).withDefaults().validate().forEach(p -> {
            throw new IllegalArgumentException("the bench's run config is invalid: " + p);
        });
        return tree;
    }

    private Process start(int core, Path jar, String heap, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (pinned) {
            cmd.addAll(List.of("taskset", "-c", Integer.toString(core)));
        }
        cmd.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "--enable-native-access=ALL-UNNAMED",
                "--add-modules",
                "jdk.incubator.vector",
                "-XX:+UseSerialGC",
                "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.pytorch.num_interop_threads=1",
                heap,
                "-jar",
                jar.toString(),
                "--spring.main.banner-mode=off",
                "--logging.level.root=WARN"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private void awaitReady(URI base, Process process) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(base + " exited with " + process.exitValue() + " before it was ready");
            }
            try {
                HttpResponse<Void> r = http.send(
                        HttpRequest.newBuilder(base.resolve("/actuator/health/readiness"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(base + " not ready after 3 minutes");
    }

    private JsonNode awaitEnd(URI base, String runId, Process optimizer) throws Exception {
        while (true) {
            JsonNode s = get(base.resolve("/v1/runs/" + runId));
            String state = s.path("state").asText();
            if (!state.equals("running")) {
                return s;
            }
            if (!optimizer.isAlive()) {
                throw new IllegalStateException("the optimizer exited during run " + runId);
            }
            Thread.sleep(2000);
        }
    }

    private JsonNode get(URI uri) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + CONTROL_TOKEN));
    }

    private JsonNode send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> r =
                http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(r.request().uri() + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private static void stop(Process p) throws InterruptedException {
        if (p == null) {
            return;
        }
        p.destroy();
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
