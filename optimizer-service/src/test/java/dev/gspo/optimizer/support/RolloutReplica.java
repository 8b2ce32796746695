package dev.gspo.optimizer.support;

import dev.gspo.rollout.RolloutApplication;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A real rollout-service, started in this JVM on 127.0.0.1 (a random port, or a given one to restart a replica at the
 * same address), with the built-in model and the push token the optimizer under test sends.
 */
public final class RolloutReplica implements AutoCloseable {
    public static final String PUSH_TOKEN = "it-push-token";
    private final int port;
    private final String pushToken;
    private final List<String> extraArgs;
    private ConfigurableApplicationContext context;

    private RolloutReplica(int port, String pushToken, List<String> extraArgs) {
        this.port = port;
        this.pushToken = pushToken;
        this.extraArgs = extraArgs;
    }

    public static RolloutReplica start() {
        return start(PUSH_TOKEN);
    }

    /**
     * @param extraArgs more {@code --key=value} arguments; with {@code --server.ssl.bundle=…} the replica serves
     *                  https and {@link #url()} says so
     */
    public static RolloutReplica start(String pushToken, String... extraArgs) {
        RolloutReplica r = new RolloutReplica(0, pushToken, List.of(extraArgs));
        return r.boot(0);
    }

    private RolloutReplica boot(int requestedPort) {
        List<String> args = new ArrayList<>();
        rolloutOwnProperties().forEach((k, v) -> {
            if (!k.equals("server.port")) {
                args.add("--" + k + "=" + v);
            }
        });
        args.addAll(List.of(
                "--server.port=" + requestedPort,
                "--server.address=127.0.0.1",
                "--gspo.rollout.seed=3",
                "--gspo.rollout.push-token=" + pushToken,
                "--spring.jmx.enabled=false",
                "--logging.level.dev.gspo=WARN"));
        args.addAll(extraArgs);
        context = new SpringApplicationBuilder(RolloutApplication.class).run(args.toArray(String[]::new));
        int actual = ((WebServerApplicationContext) context).getWebServer().getPort();
        RolloutReplica started = requestedPort == 0 ? new RolloutReplica(actual, pushToken, extraArgs) : this;
        started.context = context;
        return started;
    }

    /** Starts a stopped replica again at the same address (it comes back at version 0, as a new pod would). */
    public RolloutReplica restart() {
        if (context != null && context.isActive()) {
            throw new IllegalStateException("replica on port " + port + " is still running");
        }
        return boot(port);
    }

    /**
     * In this JVM both services' {@code application.properties} are on the classpath and the optimizer's comes first;
     * the rollout app gets its own file's settings as command-line arguments, which take precedence.
     */
    private static Map<String, String> rolloutOwnProperties() {
        try {
            Enumeration<URL> files = RolloutReplica.class.getClassLoader().getResources("application.properties");
            while (files.hasMoreElements()) {
                URL url = files.nextElement();
                if (url.toString().contains("rollout-service")) {
                    Properties p = new Properties();
                    try (InputStream in = url.openStream()) {
                        p.load(in);
                    }
                    Map<String, String> out = new TreeMap<>();
                    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
                    return out;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("rollout-service's application.properties is not on the test classpath");
    }

    public URI url() {
        boolean tls = extraArgs.stream().anyMatch(a -> a.startsWith("--server.ssl.bundle="));
        return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + port);
    }

    public void stop() {
        context.close();
    }

    @Override
    public void close() {
        if (context != null && context.isActive()) {
            context.close();
        }
    }
}
