package dev.gspo.optimizer.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One of the services as a real operating-system process, started from its executable jar on 127.0.0.1, so that a
 * test can kill it the hard way ({@code kill -9}) and start it again at the same address.
 */
public final class ServiceProcess implements AutoCloseable {
    private static final List<String> DEFAULT_JVM = List.of("-Xmx1g", "-XX:+UseSerialGC");
    private final Path jar;
    private final int port;
    private final List<String> jvmArgs;
    private final List<String> args;
    private final Path log;
    private Process process;

    private ServiceProcess(Path jar, int port, List<String> jvmArgs, List<String> args, Path log) {
        this.jar = jar;
        this.port = port;
        this.jvmArgs = jvmArgs;
        this.args = args;
        this.log = log;
    }

    /** Starts the jar of a module ({@code rollout-service} or {@code optimizer-service}) and waits until it is ready. */
    public static ServiceProcess start(String module, Path logDir, String... springArgs) throws IOException {
        return start(module, logDir, DEFAULT_JVM, springArgs);
    }

    /** As {@link #start(String, Path, String...)}, with these JVM options (heap, GC) instead of the defaults. */
    public static ServiceProcess start(String module, Path logDir, List<String> jvmArgs, String... springArgs)
            throws IOException {
        Path jar;
        try (var files = Files.list(Path.of("..", module, "target"))) {
            jar = files.filter(p -> p.getFileName().toString().endsWith("-exec.jar"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no " + module + " exec jar: run mvn package first"));
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ServiceProcess p = new ServiceProcess(
                jar, port, List.copyOf(jvmArgs), List.of(springArgs), logDir.resolve(module + "-" + port + ".log"));
        p.launch();
        return p;
    }

    private void launch() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "--enable-native-access=ALL-UNNAMED",
                "--add-modules",
                "jdk.incubator.vector"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of(
                "-jar",
                jar.toString(),
                "--server.address=127.0.0.1",
                "--server.port=" + port,
                "--spring.main.banner-mode=off"));
        cmd.addAll(args);
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("process exited: see " + log);
                    }
                    try {
                        return Http.get(url().resolve("/actuator/health/readiness"))
                                        .status()
                                == 200;
                    } catch (AssertionError notYet) {
                        return false;
                    }
                });
    }

    /** SIGKILL: no shutdown hook, no graceful stop. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGSTOP: the process holds its sockets but answers nothing (a hung JVM, a frozen node) until {@link #resume}. */
    public void suspend() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #suspend}. */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                .inheritIO()
                .start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The process's log so far (stdout and stderr). */
    public String log() throws IOException {
        return Files.readString(log);
    }

    public int port() {
        return port;
    }

    public void restart() throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException("still running");
        }
        launch();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
