package dev.gspo.rollout.adapters;

import ai.djl.ndarray.NDManager;
import dev.gspo.rollout.config.RolloutProperties;
import dev.gspo.rollout.weights.PolicyRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The named adapters, beside the policy; closed before the policy's native memory. */
@Configuration(proxyBeanMethods = false)
class AdapterConfiguration {

    @Bean(destroyMethod = "close")
    AdapterRegistry adapterRegistry(PolicyRegistry policyRegistry, NDManager policyManager, RolloutProperties p) {
        return new AdapterRegistry(policyRegistry, policyManager, p.maxAdapters());
    }
}
