package dev.gspo.rollout.api;

import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.rollout.batching.DecodedRollout;
import dev.gspo.rollout.batching.RolloutExecutor;
import dev.gspo.rollout.metrics.RolloutMetrics;
import dev.gspo.rollout.weights.PolicyBehindException;
import dev.gspo.rollout.weights.PolicyRegistry;
import dev.gspo.rollout.weights.ServedPolicy;
import org.springframework.stereotype.Service;

/** Plans a rollout request, runs its rows through the shared decoder and assembles the grouped answer. */
@Service
class RolloutService {
    private final PolicyRegistry registry;
    private final RolloutPlanner planner;
    private final RolloutExecutor executor;
    private final RolloutMetrics metrics;

    RolloutService(PolicyRegistry registry, RolloutPlanner planner, RolloutExecutor executor, RolloutMetrics metrics) {
        this.registry = registry;
        this.planner = planner;
        this.executor = executor;
        this.metrics = metrics;
    }

    RolloutResponse rollout(RolloutRequest request) {
        return metrics.timeRequest(() -> {
            ServedPolicy served =
                    registry.current(); // versions only grow: if this one is recent enough, so is the batch's
            RolloutPlan plan = planner.plan(request, served.model());
            if (plan.minPolicyVersion() != null && served.version() < plan.minPolicyVersion()) {
                throw new PolicyBehindException(plan.minPolicyVersion(), served.version());
            }
            DecodedRollout decoded = executor.run(plan.rows());
            return plan.toResponse(decoded);
        });
    }
}
