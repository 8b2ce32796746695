package dev.gspo.optimizer.config;

import dev.gspo.optimizer.reward.RemoteRewards;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The client of remote reward servers: its own JDK HTTP client, built like the fleet's ({@link RolloutHttpClient})
 * from {@code gspo.optimizer.reward.ssl-bundle}, so that reward servers and replicas can sit behind different CAs.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(RewardProperties.class)
class RewardConfiguration {

    /** @throws org.springframework.boot.ssl.NoSuchSslBundleException naming the bundle at start when none has that name */
    @Bean
    RemoteRewards remoteRewards(RewardProperties p, SslBundles sslBundles) {
        return new RemoteRewards(RolloutHttpClient.create(p.sslBundle(), sslBundles), p.tokens());
    }
}
