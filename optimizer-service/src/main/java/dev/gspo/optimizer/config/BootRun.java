package dev.gspo.optimizer.config;

import dev.gspo.optimizer.run.RunService;
import dev.gspo.optimizer.run.RunState;
import dev.gspo.optimizer.run.RunStatus;
import dev.gspo.optimizer.runconfig.RunConfig;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.stereotype.Component;

/**
 * Starts a run when the service starts ({@code gspo.optimizer.boot-run.enabled=true}); with {@code exit-when-done}
 * the service exits when the run ends, with status 0 for a completed run and 1 otherwise (the main job's command).
 */
@Component
class BootRun implements ApplicationRunner {
    private static final Logger log = LoggerFactory.getLogger(BootRun.class);
    private final OptimizerProperties properties;
    private final RunService runs;
    private final ReportOnCompletion report;
    private final ConfigurableApplicationContext context;

    BootRun(
            OptimizerProperties properties,
            RunService runs,
            ReportOnCompletion report,
            ConfigurableApplicationContext context) {
        this.properties = properties;
        this.runs = runs;
        this.report = report;
        this.context = context;
    }

    @Override
    public void run(ApplicationArguments args) throws IOException {
        OptimizerProperties.BootRun boot = properties.bootRun();
        if (!boot.enabled()) {
            return;
        }
        RunConfig config = BootRunConfig.read(boot.configFile(), boot.set());
        RunStatus status = runs.start(config, report::finished);
        log.info("boot run {} started: {}", status.runId(), status.config());
        if (boot.exitWhenDone()) {
            runs.completion(status.runId()).thenAccept(state -> {
                int code = state == RunState.COMPLETED ? 0 : 1;
                Thread exit =
                        new Thread(() -> System.exit(SpringApplication.exit(context, () -> code)), "boot-run-exit");
                exit.start();
            });
        }
    }
}
