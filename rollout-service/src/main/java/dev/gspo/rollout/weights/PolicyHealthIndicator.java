package dev.gspo.rollout.weights;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code policy} health, part of the readiness group. The registry bean exists only once the start-up policy has
 * loaded (the context, and so readiness, waits for it), after which some version is always served.
 */
@Component("policy")
class PolicyHealthIndicator implements HealthIndicator {
    private final PolicyRegistry registry;

    PolicyHealthIndicator(PolicyRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Health health() {
        ServedPolicy p = registry.current();
        return Health.up()
                .withDetail("version", p.version())
                .withDetail("sha256", p.sha256())
                .build();
    }
}
