package dev.gspo.rollout.weights;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/** {@code policy} health, part of the readiness group: up once a policy is loaded, with its version. */
@Component("policy")
class PolicyHealthIndicator implements HealthIndicator {
    private final PolicyRegistry registry;

    PolicyHealthIndicator(PolicyRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Health health() {
        ServedPolicy p = registry.current();
        if (p == null) {
            return Health.outOfService().withDetail("reason", "no policy loaded").build();
        }
        return Health.up().withDetail("version", p.version()).withDetail("sha256", p.sha256()).build();
    }
}
