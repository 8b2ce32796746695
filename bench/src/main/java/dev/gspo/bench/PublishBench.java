package dev.gspo.bench;

import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.replica.PushStages;
import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.publish.PublishStages;
import dev.gspo.optimizer.publish.WeightPublisher;
import dev.gspo.rollout.weights.PushMeters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Publishing one weight version: serialising it (safetensors, then SHA-256, once per version), pushing it with the
 * optimizer's {@link WeightPublisher} to N in-process replicas (each verifies the bytes and loads them into a new
 * model before it answers), against copying the same bytes to N receivers over raw loopback sockets. One push to
 * every replica first warms the JIT up; then {@link #REPEATS} pushes per N, the fastest kept (the median is
 * reported beside it), and as many raw copies, the fastest kept.
 *
 * <p>Per N it also reports the stage profile of the fastest of those pushes, read from the meters both sides keep
 * (the replicas' {@code gspo.rollout.push.stage} and {@code gspo.rollout.push.cpu}, the publisher's {@code
 * gspo.publish.stage}) as the difference before/after that push: the replicas' stages and receive CPU time averaged
 * over the N replicas, the publisher's send/answer averaged over the N requests (its off-heap copy: once per push),
 * the JVM's garbage-collection pauses during that push (the replicas and the publisher share the bench's JVM and
 * heap: a pause stops them all), and the whole JVM's CPU time during that push less the replicas' receive CPU (what
 * the sender, the HTTP client and everything else in the JVM spent).
 */
final class PublishBench {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final MeterRegistry publisherMeters = new SimpleMeterRegistry();
    private final PublishStages stages = new PublishStages();
    private long version = 1_000;
    /**
     * Pushes (and raw copies) per N. Seven, not three: on two cores shared by the sender and the replicas a push
     * varies by ±15 % from one to the next, and the fastest of three moved by as much between runs.
     */
    static final int REPEATS = 7;

    PublishBench() {
        stages.bindTo(publisherMeters);
    }

    void run(String label, PolicyModel model, List<Replica> replicas, int[] counts, Consumer<Row> out) {
        double load = Machine.load();
        byte[] bytes = null;
        double serialise = Double.MAX_VALUE;
        double hash = Double.MAX_VALUE;
        for (int rep = 0; rep < 3; rep++) {
            long t0 = System.nanoTime();
            bytes = stages.time(PublishStages.SERIALISE, model::weightsAsSafetensors);
            long t1 = System.nanoTime();
            byte[] b = bytes;
            stages.time(PublishStages.SHA256, () -> PolicyModel.sha256(b));
            serialise = Math.min(serialise, (t1 - t0) / 1e9);
            hash = Math.min(hash, (System.nanoTime() - t1) / 1e9);
        }
        double mb = bytes.length / 1e6;
        out.accept(new Row(
                "publish",
                label + " serialise + SHA-256 (" + Results.num(mb) + " MB)",
                (serialise + hash) * 1000,
                "ms",
                Double.NaN,
                load,
                Results.num(mb / (serialise + hash)) + " MB/s; serialise " + Results.num(serialise * 1000)
                        + " ms, SHA-256 " + Results.num(hash * 1000) + " ms"));
        String sha = PolicyModel.sha256(bytes);
        WeightPublisher publisher =
                new WeightPublisher(http, Replica.PUSH_TOKEN, Duration.ofMinutes(5), 1, executor, stages);
        int most = Arrays.stream(counts).max().orElse(1);
        PublishResult warmUp = publisher.publish(
                replicas.subList(0, most).stream().map(Replica::url).toList(), ++version, bytes, sha);
        if (warmUp.failures() > 0) { // the JIT's first pushes on every replica are not measured
            throw new IllegalStateException("publish failed: " + warmUp.replicas());
        }
        for (int n : counts) {
            List<Replica> targets = replicas.subList(0, n);
            List<URI> urls = targets.stream().map(Replica::url).toList();
            load = Machine.load();
            double best = Double.MAX_VALUE;
            Profile bestProfile = null;
            double[] all = new double[REPEATS];
            for (int rep = 0; rep < REPEATS; rep++) {
                Snapshot before = Snapshot.of(targets, publisherMeters);
                PublishResult r = publisher.publish(urls, ++version, bytes, sha);
                if (r.failures() > 0) {
                    throw new IllegalStateException("publish failed: " + r.replicas());
                }
                double seconds = r.duration().toNanos() / 1e9;
                all[rep] = seconds;
                if (seconds < best) {
                    best = seconds;
                    bestProfile = Snapshot.of(targets, publisherMeters).since(before, n);
                }
            }
            double raw = rawSocket(bytes, n);
            String replicasWord = n > 1 ? "replicas" : "replica";
            out.accept(new Row(
                    "publish",
                    label + " HTTP PUT to " + n + " " + replicasWord,
                    best * 1000,
                    "ms",
                    Double.NaN,
                    load,
                    Results.num(mb * n / best) + " MB/s; raw socket " + Results.num(raw * 1000) + " ms, "
                            + Results.num(best / raw) + "× the raw socket; median of the " + REPEATS + " pushes "
                            + Results.num(median(all) * 1000) + " ms"));
            out.accept(new Row(
                    "publish",
                    label + " raw loopback socket to " + n + " receiver" + (n > 1 ? "s" : ""),
                    raw * 1000,
                    "ms",
                    Double.NaN,
                    Machine.load(),
                    Results.num(mb * n / raw) + " MB/s"));
            out.accept(new Row(
                    "publish",
                    label + " HTTP PUT / raw socket, " + n + " " + replicasWord,
                    best / raw,
                    "×",
                    Double.NaN,
                    load,
                    "goal ≤ " + (n == 1 ? "2" : n >= 4 ? "3" : "2–3") + "×"));
            out.accept(new Row(
                    "publish",
                    label + " receive CPU time per replica, " + n + " " + replicasWord,
                    bestProfile.cpuMillis(),
                    "ms",
                    Double.NaN,
                    load,
                    "request and hashing threads, fastest push, mean over replicas"));
            out.accept(new Row(
                    "publish",
                    label + " JVM CPU time outside the replicas' threads, " + n + " " + replicasWord,
                    bestProfile.otherCpuMillis(n),
                    "ms",
                    Double.NaN,
                    load,
                    "fastest push: the whole JVM's CPU time minus the replicas' receive CPU (sender, HTTP client,"
                            + " Tomcat pollers, GC, JIT); JVM total " + Results.num(bestProfile.processCpuMillis())
                            + " ms"));
            out.accept(new Row(
                    "publish",
                    label + " stage profile, " + n + " " + replicasWord,
                    bestProfile.replicaMillis(),
                    "ms",
                    Double.NaN,
                    load,
                    bestProfile.describe()));
        }
    }

    /** Cumulative stage times (ns) of each replica and of the publisher at one moment. */
    private record Snapshot(
            List<Map<String, Long>> replicaStages,
            List<Long> replicaCpu,
            Map<String, Long> publisher,
            long gcMillis,
            long processCpuNanos) {
        static Snapshot of(List<Replica> replicas, MeterRegistry publisherMeters) {
            List<Map<String, Long>> stages = new ArrayList<>();
            List<Long> cpu = new ArrayList<>();
            for (Replica r : replicas) {
                stages.add(byStage(r.meters(), PushMeters.STAGE));
                cpu.add(r.meters().find(PushMeters.CPU).timers().stream()
                        .mapToLong(t -> (long) t.totalTime(TimeUnit.NANOSECONDS))
                        .sum());
            }
            return new Snapshot(
                    stages,
                    cpu,
                    byStage(publisherMeters, PublishStages.METER),
                    collectionMillis(),
                    OS.getProcessCpuTime());
        }

        /** Accumulated collection time of every collector of this JVM, ms (-1 where a collector does not say). */
        private static long collectionMillis() {
            long sum = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                sum += Math.max(0, gc.getCollectionTime());
            }
            return sum;
        }

        private static Map<String, Long> byStage(MeterRegistry registry, String meter) {
            Map<String, Long> out = new LinkedHashMap<>();
            for (Timer t : registry.find(meter).timers()) {
                out.merge(t.getId().getTag("stage"), (long) t.totalTime(TimeUnit.NANOSECONDS), Long::sum);
            }
            return out;
        }

        /** Per-push means: replica stages and CPU over the replicas, publisher stages over the n requests. */
        Profile since(Snapshot before, int n) {
            Map<String, Double> replica = new LinkedHashMap<>();
            double cpu = 0;
            for (int i = 0; i < replicaStages.size(); i++) {
                Map<String, Long> then = before.replicaStages.get(i);
                replicaStages
                        .get(i)
                        .forEach((stage, ns) -> replica.merge(
                                stage, (ns - then.getOrDefault(stage, 0L)) / 1e6 / replicaStages.size(), Double::sum));
                cpu += (replicaCpu.get(i) - before.replicaCpu.get(i)) / 1e6 / replicaCpu.size();
            }
            Map<String, Double> pub = new LinkedHashMap<>();
            publisher.forEach((stage, ns) -> {
                if (stage.equals(PublishStages.SEND) || stage.equals(PublishStages.ANSWER)) {
                    pub.put(stage, (ns - before.publisher.getOrDefault(stage, 0L)) / 1e6 / n);
                } else if (stage.equals(PublishStages.COPY)) { // once per publish, shared by the n requests
                    pub.put(stage, (ns - before.publisher.getOrDefault(stage, 0L)) / 1e6);
                }
            });
            return new Profile(
                    replica, cpu, pub, gcMillis - before.gcMillis, (processCpuNanos - before.processCpuNanos) / 1e6);
        }
    }

    /** One push's stage profile, in ms. */
    private record Profile(
            Map<String, Double> replica,
            double cpuMillis,
            Map<String, Double> publisher,
            long gcMillis,
            double processCpuMillis) {
        /**
         * CPU time of the bench's JVM during the push outside the replicas' request and hashing threads: the
         * publisher's sending threads (HTTP client, its selector), the replicas' Tomcat pollers, GC and JIT.
         */
        double otherCpuMillis(int n) {
            return processCpuMillis - n * cpuMillis;
        }

        /** The replica's timeline: its stages' sum, without work on other threads that overlaps them. */
        double replicaMillis() {
            return replica.entrySet().stream()
                    .filter(e -> !e.getKey().equals(PushStages.HASH_THREAD))
                    .mapToDouble(Map.Entry::getValue)
                    .sum();
        }

        String describe() {
            StringBuilder s = new StringBuilder("replica (mean):");
            replica.forEach(
                    (stage, ms) -> s.append(' ').append(stage).append(' ').append(Results.num(ms)));
            s.append("; publisher (send/answer: mean per request; copy: per publish):");
            publisher.forEach(
                    (stage, ms) -> s.append(' ').append(stage).append(' ').append(Results.num(ms)));
            return s.append(" ms; JVM GC pauses during the push ")
                    .append(gcMillis)
                    .append(" ms")
                    .toString();
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int m = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }

    /** Best of {@link #REPEATS}: n parallel TCP connections on 127.0.0.1, each sends all bytes and waits for a one-byte ack. */
    private double rawSocket(byte[] bytes, int n) {
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < REPEATS; rep++) {
            try (ServerSocket server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress())) {
                List<CompletableFuture<Void>> receivers = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    receivers.add(CompletableFuture.runAsync(() -> receive(server, bytes.length), executor));
                }
                long t0 = System.nanoTime();
                List<CompletableFuture<Void>> senders = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    senders.add(CompletableFuture.runAsync(() -> send(server.getLocalPort(), bytes), executor));
                }
                senders.forEach(CompletableFuture::join);
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                receivers.forEach(CompletableFuture::join);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return best;
    }

    private static void receive(ServerSocket server, int length) {
        try (Socket s = server.accept();
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream()) {
            byte[] buf = new byte[1 << 20];
            long got = 0;
            while (got < length) {
                int k = in.read(buf);
                if (k < 0) {
                    throw new IOException("sender closed after " + got + " of " + length + " bytes");
                }
                got += k;
            }
            out.write(1);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void send(int port, byte[] bytes) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream()) {
            out.write(bytes);
            out.flush();
            if (in.read() != 1) {
                throw new IOException("no ack");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
