package dev.gspo.bench;

import dev.gspo.common.model.PolicyModel;
import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.publish.WeightPublisher;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Publishing one weight version: serialising it (safetensors + SHA-256, once per version), pushing it with the
 * optimizer's {@link WeightPublisher} to N in-process replicas (each verifies the bytes and loads them into a new
 * model before it answers), against copying the same bytes to N receivers over raw loopback sockets.
 */
final class PublishBench {
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private long version = 1_000;

    void run(String label, PolicyModel model, List<URI> replicas, int[] counts, Consumer<Row> out) {
        double load = Machine.load();
        byte[] bytes = null;
        double serialise = Double.MAX_VALUE;
        for (int rep = 0; rep < 3; rep++) {
            long t0 = System.nanoTime();
            bytes = model.weightsAsSafetensors();
            PolicyModel.sha256(bytes);
            serialise = Math.min(serialise, (System.nanoTime() - t0) / 1e9);
        }
        double mb = bytes.length / 1e6;
        out.accept(new Row(
                "publish",
                label + " serialise + SHA-256 (" + Results.num(mb) + " MB)",
                serialise * 1000,
                "ms",
                Double.NaN,
                load,
                Results.num(mb / serialise) + " MB/s"));
        String sha = PolicyModel.sha256(bytes);
        WeightPublisher publisher = new WeightPublisher(http, Replica.PUSH_TOKEN, Duration.ofMinutes(5), 1, executor);
        for (int n : counts) {
            List<URI> targets = replicas.subList(0, n);
            load = Machine.load();
            double best = Double.MAX_VALUE;
            for (int rep = 0; rep < 3; rep++) {
                PublishResult r = publisher.publish(targets, ++version, bytes, sha);
                if (r.failures() > 0) {
                    throw new IllegalStateException("publish failed: " + r.replicas());
                }
                best = Math.min(best, r.duration().toNanos() / 1e9);
            }
            double raw = rawSocket(bytes, n);
            out.accept(new Row(
                    "publish",
                    label + " HTTP PUT to " + n + " replica" + (n > 1 ? "s" : ""),
                    best * 1000,
                    "ms",
                    Double.NaN,
                    load,
                    Results.num(mb * n / best) + " MB/s; raw socket " + Results.num(raw * 1000) + " ms, "
                            + Results.num(best / raw) + "× slower"));
            out.accept(new Row(
                    "publish",
                    label + " raw loopback socket to " + n + " receiver" + (n > 1 ? "s" : ""),
                    raw * 1000,
                    "ms",
                    Double.NaN,
                    Machine.load(),
                    Results.num(mb * n / raw) + " MB/s"));
        }
    }

    /** Best of 3: n parallel TCP connections on 127.0.0.1, each sends all bytes and waits for a one-byte ack. */
    private double rawSocket(byte[] bytes, int n) {
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 3; rep++) {
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
