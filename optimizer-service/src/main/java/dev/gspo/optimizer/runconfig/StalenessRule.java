package dev.gspo.optimizer.runconfig;

import dev.gspo.common.train.OldLogprobs;
import java.util.List;

/**
 * What pipelined steps ({@code sampling.maxStaleness} S &gt; 0) need of the objective. A step's samples then come from a
 * policy up to S versions older than the trainer's, so the importance ratio must be taken against the policy that
 * sampled them: π_old = the rollout's log-probs ({@code objective.oldLogprobs} {@code rollout}, the default), or the
 * trainer's own with the truncated weight min(π_old / π_rollout, C) that brings the rollout's back in
 * ({@code recompute} with {@code objective.tisCap}). {@code recompute} alone would take the ratio against the
 * trainer's current policy and silently treat stale samples as on-policy.
 */
final class StalenessRule {
    private StalenessRule() {}

    static void check(SamplingSpec sampling, ObjectiveSpec objective, List<String> p) {
        Integer s = sampling.maxStaleness();
        if (s != null && s > 0 && objective.oldLogprobs() == OldLogprobs.RECOMPUTE && objective.tisCap() == null) {
            p.add("sampling.maxStaleness: " + s + " needs π_old from the policy that sampled: "
                    + "objective.oldLogprobs rollout, or recompute with objective.tisCap; got oldLogprobs recompute "
                    + "without tisCap (the ratio would be taken against the trainer's current policy)");
        }
    }
}
