package dev.gspo.optimizer.config;

import dev.gspo.common.task.TaskSpec;
import dev.gspo.optimizer.adapters.NamedAdapterPublisher;
import dev.gspo.optimizer.api.BearerToken;
import dev.gspo.optimizer.api.FiniteNumbers;
import dev.gspo.optimizer.fleet.DnsEndpoints;
import dev.gspo.optimizer.fleet.FleetClient;
import dev.gspo.optimizer.fleet.FleetCompatibility;
import dev.gspo.optimizer.fleet.ReplicaHealth;
import dev.gspo.optimizer.fleet.RolloutEndpoints;
import dev.gspo.optimizer.fleet.RolloutTimeouts;
import dev.gspo.optimizer.fleet.StaticEndpoints;
import dev.gspo.optimizer.loop.CompositeRunListener;
import dev.gspo.optimizer.metrics.FleetMetrics;
import dev.gspo.optimizer.metrics.ProgressLog;
import dev.gspo.optimizer.metrics.TrainingMetrics;
import dev.gspo.optimizer.publish.PolicyPublisher;
import dev.gspo.optimizer.publish.PublishStages;
import dev.gspo.optimizer.publish.ReplicaVersion;
import dev.gspo.optimizer.publish.WeightPublisher;
import dev.gspo.optimizer.reward.RemoteRewards;
import dev.gspo.optimizer.run.AllowedPaths;
import dev.gspo.optimizer.run.MetricsHistoryFile;
import dev.gspo.optimizer.run.RunService;
import java.net.http.HttpClient;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the framework-free domain (fleet client, publisher, run service) from {@link OptimizerProperties}. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(OptimizerProperties.class)
class OptimizerConfiguration {

    @Bean
    RolloutEndpoints rolloutEndpoints(OptimizerProperties p) {
        if (!p.rolloutDns().isBlank()) {
            return new DnsEndpoints(p.rolloutDns(), p.rolloutDnsRefresh());
        }
        List<String> urls = p.rolloutUrls().stream().filter(s -> !s.isBlank()).toList();
        if (urls.isEmpty()) {
            throw new IllegalStateException("gspo.optimizer.rollout-urls or gspo.optimizer.rollout-dns must name the "
                    + "rollout replicas (e.g. GSPO_OPTIMIZER_ROLLOUT_URLS=http://127.0.0.1:8081)");
        }
        return StaticEndpoints.parse(urls);
    }

    @Bean(destroyMethod = "shutdownNow")
    ExecutorService fleetExecutor() {
        return Executors.newVirtualThreadPerTaskExecutor();
    }

    @Bean
    HttpClient rolloutHttpClient(OptimizerProperties p, SslBundles sslBundles) {
        return ApiKeyHttpClient.wrap(RolloutHttpClient.create(p.rolloutSslBundle(), sslBundles), p.rolloutApiKey());
    }

    /** A MeterBinder: Spring Boot binds it to the registry; {@code run-metrics-linger} in {@link OptimizerProperties}. */
    @Bean(destroyMethod = "close")
    TrainingMetrics trainingMetrics(OptimizerProperties p) {
        return new TrainingMetrics(p.runMetricsLinger());
    }

    @Bean(destroyMethod = "close")
    ReplicaHealth replicaHealth(OptimizerProperties p, HttpClient http) {
        return new ReplicaHealth(replica -> ReplicaVersion.of(http, replica, p.probeTimeout()), p.probeInterval());
    }

    @Bean
    FleetMetrics fleetMetrics(ReplicaHealth health, RolloutEndpoints endpoints) {
        return new FleetMetrics(health, endpoints);
    }

    /** A MeterBinder: the stage profile of weight pushes ({@code gspo.publish.stage}). */
    @Bean
    PublishStages publishStages() {
        return new PublishStages();
    }

    @Bean
    PolicyPublisher policyPublisher(
            OptimizerProperties p,
            RolloutEndpoints endpoints,
            HttpClient http,
            ExecutorService fleetExecutor,
            TrainingMetrics metrics,
            ReplicaHealth health,
            PublishStages publishStages) {
        WeightPublisher publisher = new WeightPublisher(
                http, p.pushToken(), p.publishTimeout(), p.maxAttempts(), fleetExecutor, publishStages);
        PolicyPublisher policies =
                new PolicyPublisher(endpoints, publisher, http, p.probeTimeout(), metrics::onPublish, health);
        // a replica whose circuit opened gets the latest version pushed when it answers a probe again
        health.catchUpWith(
                () -> policies.latest() == null ? 0 : policies.latest().version(), policies::bringUpToDate);
        return policies;
    }

    /** Named adapters ({@code lora.adapter}): many runs, one fleet; everything else goes to the policy publisher. */
    @Bean
    NamedAdapterPublisher namedAdapterPublisher(
            OptimizerProperties p,
            PolicyPublisher policies,
            RolloutEndpoints endpoints,
            HttpClient http,
            TrainingMetrics metrics,
            ReplicaHealth health) {
        return new NamedAdapterPublisher(
                policies, endpoints, http, p.pushToken(), p.publishTimeout(), health, metrics::onAdapterPublish);
    }

    @Bean
    FleetClient fleetClient(
            OptimizerProperties p,
            HttpClient http,
            PolicyPublisher publisher,
            NamedAdapterPublisher adapters,
            ExecutorService fleetExecutor,
            TrainingMetrics metrics,
            ReplicaHealth health) {
        return new FleetClient(
                http,
                publisher,
                new RolloutTimeouts(p.requestTimeoutFloor(), p.requestTimeoutPerToken(), p.requestTimeout()),
                p.maxAttempts(),
                fleetExecutor,
                metrics::onFleetRequest,
                health,
                adapters);
    }

    @Bean(destroyMethod = "close")
    RunService runService(
            OptimizerProperties p,
            FleetClient fleet,
            NamedAdapterPublisher publisher,
            TrainingMetrics metrics,
            RemoteRewards remoteRewards,
            RolloutEndpoints endpoints,
            HttpClient http) {
        return new RunService(
                p.checkpointDir(),
                fleet,
                publisher,
                runId -> CompositeRunListener.of(
                        metrics.forRun(runId),
                        new ProgressLog(runId),
                        // last: a line it cannot write is reported by the run, after the others have seen the step
                        new MetricsHistoryFile(p.checkpointDir().resolve(runId))),
                new AllowedPaths(p.dataDirs(), p.modelDirs(), p.checkpointDir()),
                new RunService.Retention(p.checkpointKeepLast(), p.checkpointKeepBest()),
                TaskSpec::create,
                remoteRewards,
                new FleetCompatibility(endpoints, http, p.probeTimeout()));
    }

    /** No {@code "NaN"} strings in any answer: a non-finite number is written as null. */
    @Bean
    JsonMapperBuilderCustomizer finiteNumbers() {
        return builder -> builder.addModule(new FiniteNumbers());
    }

    @Bean
    BearerToken controlToken(OptimizerProperties p) {
        return new BearerToken(p.controlToken());
    }
}
