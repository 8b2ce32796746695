package dev.gspo.optimizer.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (Debian's {@code prometheus} package, which {@code ./gspo test} installs) started by the
 * test on 127.0.0.1 with a throw-away data directory, scraping the given targets every second; stopped on close.
 */
public final class PrometheusServer implements AutoCloseable {
    private final Process process;
    private final int port;

    private PrometheusServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** @param targets job name → {@code host:port} of an app whose metrics are at {@code /actuator/prometheus} */
    public static PrometheusServer start(List<String[]> targets) throws IOException {
        Path dir = Files.createTempDirectory("gspo-prometheus");
        StringBuilder config =
                new StringBuilder("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n");
        for (String[] t : targets) {
            config.append("  - job_name: ")
                    .append(t[0])
                    .append("\n    metrics_path: /actuator/prometheus\n")
                    .append("    static_configs:\n      - targets: ['")
                    .append(t[1])
                    .append("']\n");
        }
        Path file = dir.resolve("prometheus.yml");
        Files.writeString(file, config);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = new ProcessBuilder(
                        binary(),
                        "--config.file=" + file,
                        "--storage.tsdb.path=" + dir.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("prometheus.log").toFile())
                .start();
        return new PrometheusServer(p, port);
    }

    private static String binary() {
        for (String candidate : List.of("/usr/bin/prometheus", "/usr/local/bin/prometheus")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no prometheus binary: install Debian's 'prometheus' package "
                + "(./gspo test does it when run as root)");
    }

    public URI query(String promql) {
        return URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
                + java.net.URLEncoder.encode(promql, java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
