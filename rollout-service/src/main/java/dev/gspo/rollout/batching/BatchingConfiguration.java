package dev.gspo.rollout.batching;

import dev.gspo.rollout.config.RolloutProperties;
import dev.gspo.rollout.weights.PolicyRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The decode queue, its single worker thread (continuous batching) and the executor the API submits to. */
@Configuration(proxyBeanMethods = false)
class BatchingConfiguration {

    @Bean
    DecodeQueue decodeQueue(RolloutProperties properties) {
        return new DecodeQueue(properties.maxQueuedSequences());
    }

    @Bean
    DecodeWorker decodeWorker(
            DecodeQueue decodeQueue,
            PolicyRegistry policyRegistry,
            RolloutProperties properties,
            ObjectProvider<BatchListener> listener) {
        return new DecodeWorker(
                decodeQueue,
                policyRegistry,
                properties.maxBatchSequences(),
                properties.maxContextTokens(),
                properties.reservedSlots(),
                listener.getIfAvailable(() -> BatchListener.NONE));
    }

    @Bean
    RolloutExecutor rolloutExecutor(DecodeQueue decodeQueue, RolloutProperties properties) {
        return new RolloutExecutor(decodeQueue, properties.maxQueueWait(), properties.requestTimeout());
    }
}
