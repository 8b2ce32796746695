package dev.gspo.optimizer.metrics;

import dev.gspo.optimizer.fleet.ReplicaHealth;
import dev.gspo.optimizer.fleet.RolloutEndpoints;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/** The rollout fleet's health as the optimizer sees it ({@link ReplicaHealth}), over the replicas known now. */
public final class FleetMetrics implements MeterBinder {
    private final ReplicaHealth health;
    private final RolloutEndpoints endpoints;

    public FleetMetrics(ReplicaHealth health, RolloutEndpoints endpoints) {
        this.health = health;
        this.endpoints = endpoints;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("gspo.fleet.circuits.open", this, m -> m.health.open(m.endpoints.current()))
                .description("rollout replicas skipped because they failed or timed out, until they answer a probe")
                .register(registry);
        Gauge.builder("gspo.fleet.replicas.behind", this, m -> m.health.behind(m.endpoints.current()))
                .description("rollout replicas known to serve an older policy version than the latest published")
                .register(registry);
        health.onTracked(replica -> FunctionCounter.builder("gspo.fleet.circuit.opened", health, h -> h.opened(replica))
                .description("times a rollout replica's circuit opened (a request or push to it failed or timed out)")
                .tag("replica", replica.toString())
                .register(registry));
    }
}
