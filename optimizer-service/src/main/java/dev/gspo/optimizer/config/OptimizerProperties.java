package dev.gspo.optimizer.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code gspo.optimizer.*}: where the fleet is, the tokens, where checkpoints go. Every default is in the README.
 *
 * @param rolloutUrls          comma-separated replica base URLs; used when {@code rolloutDns} is empty
 * @param rolloutDns           {@code host:port} whose name resolves to every replica (a headless Service)
 * @param rolloutDnsRefresh    how often the name is resolved again
 * @param rolloutSslBundle     name of a Spring SSL bundle ({@code spring.ssl.bundle.*}) whose trust material (and
 *                             key, for mutual TLS) the client uses for {@code https} replica URLs; empty = the JDK's
 *                             default trust store (docs/TLS.md)
 * @param pushToken            bearer token sent with {@code PUT /v1/policy} (the replicas' {@code push-token})
 * @param controlToken         bearer token required on {@code POST /v1/runs} and {@code /stop}; empty = no auth
 *                             (only for local use: the README says so)
 * @param checkpointDir        each run writes {@code <checkpointDir>/<runId>/checkpoints/step-N}
 * @param requestTimeout       per rollout request
 * @param publishTimeout       per weight push
 * @param maxAttempts          tries per rollout share / weight push before giving up on it
 * @param bootRun              a run to start when the service starts (the main job)
 */
@Validated
@ConfigurationProperties("gspo.optimizer")
public record OptimizerProperties(
        @DefaultValue("") List<String> rolloutUrls,
        @DefaultValue("") String rolloutDns,
        @DefaultValue("10s") Duration rolloutDnsRefresh,
        @DefaultValue("") String rolloutSslBundle,
        @DefaultValue("") String pushToken,
        @DefaultValue("") String controlToken,
        @NotNull @DefaultValue("runs") Path checkpointDir,
        @DefaultValue("120s") Duration requestTimeout,
        @DefaultValue("60s") Duration publishTimeout,
        @Min(1) @DefaultValue("3") int maxAttempts,
        @Valid @DefaultValue BootRun bootRun) {

    /**
     * @param enabled      start a run at boot
     * @param configFile   a JSON file with the run config (same body as {@code POST /v1/runs}); empty = all defaults
     *                     plus the fields below
     * @param exitWhenDone stop the service when the boot run ends (the main job's command uses this)
     * @param reportDir    where the report of the boot run is written; empty = {@code <checkpointDir>/<runId>/report}
     * @param set          run-config fields that override the file, e.g. {@code gspo.optimizer.boot-run.set.steps=50}
     *                     (the main job's command-line options arrive this way)
     */
    public record BootRun(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("") String configFile,
            @DefaultValue("false") boolean exitWhenDone,
            @DefaultValue("") String reportDir,
            Map<String, String> set) {
        public BootRun {
            set = set == null ? Map.of() : Map.copyOf(set);
        }
    }

    @Override
    public String toString() {
        return "OptimizerProperties[rolloutUrls=" + rolloutUrls + ", rolloutDns=" + rolloutDns
                + ", rolloutSslBundle=" + rolloutSslBundle + ", checkpointDir=" + checkpointDir + ", pushToken="
                + (pushToken.isEmpty() ? "(none)" : "(set)")
                + ", controlToken=" + (controlToken.isEmpty() ? "(none)" : "(set)") + "]";
    }
}
