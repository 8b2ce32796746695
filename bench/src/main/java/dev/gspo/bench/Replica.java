package dev.gspo.bench;

import dev.gspo.rollout.RolloutApplication;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A real rollout-service started in this JVM on 127.0.0.1 and a free port (as the optimizer's whole-system tests do),
 * serving a model directory, or the built-in model when {@code modelDir} is null.
 */
final class Replica implements AutoCloseable {
    static final String PUSH_TOKEN = "bench-push-token";
    private final ConfigurableApplicationContext context;
    private final URI url;

    private Replica(ConfigurableApplicationContext context) {
        this.context = context;
        this.url = URI.create("http://127.0.0.1:"
                + ((WebServerApplicationContext) context).getWebServer().getPort());
    }

    static Replica start(Path modelDir, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--gspo.rollout.seed=1",
                "--gspo.rollout.push-token=" + PUSH_TOKEN,
                "--spring.jmx.enabled=false",
                "--spring.main.banner-mode=off",
                "--logging.level.root=WARN",
                "--logging.level.ai.djl=ERROR"));
        args.addAll(List.of(extraArgs));
        if (modelDir != null) {
            args.add("--gspo.rollout.model-dir=" + modelDir.toAbsolutePath());
        }
        return new Replica(new SpringApplicationBuilder(RolloutApplication.class).run(args.toArray(String[]::new)));
    }

    URI url() {
        return url;
    }

    /** The replica's own meter registry (its {@code gspo.rollout.push.*} stage profile). */
    MeterRegistry meters() {
        return context.getBean(MeterRegistry.class);
    }

    @Override
    public void close() {
        context.close();
    }
}
