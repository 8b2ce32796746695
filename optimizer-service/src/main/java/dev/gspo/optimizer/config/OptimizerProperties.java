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
import org.springframework.util.unit.DataSize;
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
 * @param rolloutApiKey        bearer token sent with every other request to the replicas (the replicas'
 *                             {@code api-key}); empty = none
 * @param controlToken         bearer token required on every mutating request ({@code POST /v1/runs}, {@code /stop});
 *                             empty = no auth (only for local use: the README says so)
 * @param readToken            bearer token required on every read ({@code GET /v1/runs…}, {@code /v3/api-docs},
 *                             {@code /actuator/**} but {@code /actuator/health/**}); the control token is accepted too;
 *                             empty = reads are open
 * @param maxRequestBytes      largest request body; a larger one is a 413 before it is read
 * @param dataDirs             folders a run's data files ({@code taskParams.path}, {@code heldOutPath}) must lie in;
 *                             empty = no data files
 * @param modelDirs            folders a run's {@code model} directory (and a {@code resumeFrom} directory) may lie in,
 *                             besides {@code checkpointDir}; empty = only {@code checkpointDir}
 * @param checkpointDir        each run writes {@code <checkpointDir>/<runId>/checkpoints/step-N}
 * @param checkpointKeepLast   checkpoints kept per run (the newest ones); 0 = all
 * @param checkpointKeepBest   with {@code checkpointKeepLast}, also keep the checkpoint with the best held-out accuracy
 * @param requestTimeout       the cap of a rollout request's timeout (see {@code requestTimeoutFloor})
 * @param requestTimeoutFloor  a rollout request's timeout is {@code floor + perToken × sequences × maxNewTokens},
 *                             at most {@code requestTimeout}
 * @param requestTimeoutPerToken the time allowed per token to generate (see {@code requestTimeoutFloor})
 * @param publishTimeout       per weight push
 * @param maxAttempts          tries per rollout share / weight push before giving up on it
 * @param probeInterval        how often a replica whose circuit is open is probed ({@code GET /v1/policy})
 * @param probeTimeout         how long a probe (and a version read) waits
 * @param runMetricsLinger     how long an ended run's {@code run}-tagged series stay in {@code /actuator/prometheus}
 *                             before they are removed (default 1m: four scrapes at Prometheus' usual 15 s, so the
 *                             final values are stored)
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
        @DefaultValue("") String rolloutApiKey,
        @DefaultValue("") String controlToken,
        @DefaultValue("") String readToken,
        @DefaultValue("1MB") DataSize maxRequestBytes,
        List<Path> dataDirs,
        List<Path> modelDirs,
        @NotNull @DefaultValue("runs") Path checkpointDir,
        @Min(0) @DefaultValue("0") int checkpointKeepLast,
        @DefaultValue("true") boolean checkpointKeepBest,
        @DefaultValue("120s") Duration requestTimeout,
        @DefaultValue("30s") Duration requestTimeoutFloor,
        @DefaultValue("5ms") Duration requestTimeoutPerToken,
        @DefaultValue("60s") Duration publishTimeout,
        @Min(1) @DefaultValue("3") int maxAttempts,
        @DefaultValue("2s") Duration probeInterval,
        @DefaultValue("5s") Duration probeTimeout,
        @DefaultValue("1m") Duration runMetricsLinger,
        @Valid @DefaultValue BootRun bootRun) {

    public OptimizerProperties {
        dataDirs = folders(dataDirs);
        modelDirs = folders(modelDirs);
    }

    /** An empty entry ({@code GSPO_OPTIMIZER_DATA_DIRS=""}) is no folder, not the working directory. */
    private static List<Path> folders(List<Path> dirs) {
        return dirs == null
                ? List.of()
                : dirs.stream().filter(d -> !d.toString().isBlank()).toList();
    }

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
                + ", rolloutApiKey=" + (rolloutApiKey.isEmpty() ? "(none)" : "(set)")
                + ", controlToken=" + (controlToken.isEmpty() ? "(none)" : "(set)")
                + ", readToken=" + (readToken.isEmpty() ? "(none)" : "(set)") + "]";
    }
}
