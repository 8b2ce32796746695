package dev.gspo.rollout.api;

import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.rollout.adapters.AdapterLease;
import dev.gspo.rollout.adapters.AdapterName;
import dev.gspo.rollout.adapters.AdapterProblem;
import dev.gspo.rollout.adapters.AdapterRegistry;
import dev.gspo.rollout.batching.DecodedRollout;
import dev.gspo.rollout.batching.RolloutExecutor;
import dev.gspo.rollout.metrics.RolloutMetrics;
import dev.gspo.rollout.weights.PolicyBehindException;
import dev.gspo.rollout.weights.PolicyRegistry;
import dev.gspo.rollout.weights.ServedPolicy;
import org.springframework.stereotype.Service;

/**
 * Plans a rollout request, runs its rows through the shared decoder and assembles the grouped answer. A request that
 * names an adapter takes a lease on that adapter's current version here (404 for an unknown name); its
 * {@code minPolicyVersion} and its answer's {@code policyVersion} are that version's.
 */
@Service
class RolloutService {
    private final PolicyRegistry registry;
    private final RolloutPlanner planner;
    private final RolloutExecutor executor;
    private final RolloutMetrics metrics;
    private final AdapterRegistry adapters;

    RolloutService(
            PolicyRegistry registry,
            RolloutPlanner planner,
            RolloutExecutor executor,
            RolloutMetrics metrics,
            AdapterRegistry adapters) {
        this.registry = registry;
        this.adapters = adapters;
        this.planner = planner;
        this.executor = executor;
        this.metrics = metrics;
    }

    RolloutResponse rollout(RolloutRequest request) {
        return metrics.timeRequest(() -> {
            ServedPolicy served =
                    registry.current(); // versions only grow: if this one is recent enough, so is the batch's
            String name = request.adapter() == null ? null : AdapterName.check("adapter", request.adapter());
            RolloutPlan plan = planner.plan(request, served.model());
            if (name == null) {
                if (plan.minPolicyVersion() != null && served.version() < plan.minPolicyVersion()) {
                    throw new PolicyBehindException(plan.minPolicyVersion(), served.version());
                }
                return plan.toResponse(executor.run(plan.rows()));
            }
            AdapterLease lease = adapters.acquire(name);
            if (plan.minPolicyVersion() != null && lease.version() < plan.minPolicyVersion()) {
                lease.close();
                throw AdapterProblem.behind(name, plan.minPolicyVersion(), lease.version());
            }
            DecodedRollout decoded = executor.run(plan.rows(), lease); // the lease is the request's now
            return plan.toResponse(decoded);
        });
    }
}
