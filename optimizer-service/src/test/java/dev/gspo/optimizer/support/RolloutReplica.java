package dev.gspo.optimizer.support;

import dev.gspo.rollout.RolloutApplication;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

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
        List<String> args = new ArrayList<>(List.of(
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

    public URI url() {
        boolean tls = extraArgs.stream().anyMatch(a -> a.startsWith("--server.ssl.bundle="));
        return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + port);
    }

    /** The running replica's Spring environment (what it was configured with). */
    public Environment environment() {
        return context.getEnvironment();
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
