package dev.gspo.rollout.weights;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.rollout.config.RolloutProperties;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.FileSystemUtils;

/**
 * The native memory root and the policy loaded at start-up (version 0): {@code gspo.rollout.model-dir}, or the
 * built-in default model created with {@code gspo.rollout.seed}. The context does not start until it is loaded.
 */
@Configuration(proxyBeanMethods = false)
class PolicyConfiguration {
    private static final Logger log = LoggerFactory.getLogger(PolicyConfiguration.class);

    /** Owns every weight array of every version; closed after the registry at shutdown. */
    @Bean(destroyMethod = "close")
    NDManager policyManager() {
        return NDManager.newBaseManager();
    }

    @Bean(destroyMethod = "close")
    PolicyRegistry policyRegistry(RolloutProperties properties, NDManager policyManager) {
        PolicyModel model = properties.usesBuiltinModel()
                ? builtin(properties, policyManager)
                : PolicyModel.load(Path.of(properties.modelDir()), policyManager);
        ServedPolicy initial = ServedPolicy.fromModel(0, model);
        log.info(
                "serving {} policy version 0 from {}: {} parameters, sha256 {}",
                model.config().modelType(),
                properties.usesBuiltinModel()
                        ? "the built-in model '" + properties.builtinModel() + "' (seed " + properties.seed() + ")"
                        : properties.modelDir(),
                model.weights().parameterCount(),
                initial.sha256());
        return new PolicyRegistry(initial);
    }

    @Bean
    PushAuthorizer pushAuthorizer(RolloutProperties properties) {
        if (!properties.pushesEnabled()) {
            log.warn("gspo.rollout.push-token is not set: PUT /v1/policy is disabled");
        }
        return new PushAuthorizer(properties);
    }

    @Bean
    PushGate pushGate() {
        return new PushGate();
    }

    @Bean
    WeightUpdater weightUpdater(
            PolicyRegistry policyRegistry, NDManager policyManager, ObjectProvider<MeterRegistry> meterRegistry) {
        return new WeightUpdater(
                policyRegistry, policyManager, new PushMeters(meterRegistry.getIfAvailable(SimpleMeterRegistry::new)));
    }

    /** The built-in model's files go to work-dir, or to a temporary directory removed once the model is loaded. */
    private static PolicyModel builtin(RolloutProperties properties, NDManager manager) {
        try {
            if (!properties.workDir().isBlank()) {
                return BuiltinModel.create(
                        properties.builtinModel(),
                        Path.of(properties.workDir()).resolve("builtin-model"),
                        properties.seed(),
                        manager);
            }
            Path tmp = Files.createTempDirectory("gspo-rollout-model-");
            try {
                return BuiltinModel.create(properties.builtinModel(), tmp, properties.seed(), manager);
            } finally {
                FileSystemUtils.deleteRecursively(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the built-in model: " + e.getMessage(), e);
        }
    }
}
