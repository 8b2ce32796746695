package dev.gspo.optimizer.loop;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything measured in one training step: exported as gauges (docs/ARCHITECTURE.md §9), kept per step in the run's history
 * ({@code GET /v1/runs/{id}/metrics}) and written to the report.
 *
 * <p>Clip fractions follow docs/ALGORITHM.md §10: the share of samples whose clipped branch is active, counted per sequence
 * (each response once) and per token (token-weighted), each split into the low side (Â &lt; 0, ratio &lt; 1 − ε_low)
 * and the high side (Â &gt; 0, ratio &gt; 1 + ε_high). Values are averaged over the step's minibatches.
 *
 * @param rewardMean        mean of the samples' rewards (the weighted sum of the run's reward functions)
 * @param accuracy          share of this step's samples that the primary (first) reward function scores ≥ 1 (with
 *                          the default, the task's own exact match)
 * @param heldOutAccuracy   greedy accuracy on the task's held-out set, NaN on steps where it was not evaluated
 * @param mismatchMean      mean |rollout log-prob − trainer log-prob| before the first update (docs/ALGORITHM.md §10)
 * @param stale             policy versions between the samples and the trainer's current version (0 = on-policy)
 * @param expertChangeShare MoE: share of (token, sparse layer) pairs whose routed expert set under π_θ differed from
 *                          π_old's after the step's first update (see {@code PolicyTrainer.StepResult}); NaN if dense
 * @param rewards           each reward function's mean score over the step's samples, unweighted, by name in config
 *                          order, then the mean of each component a reward server reported as {@code name.component}
 *                          (exported as {@code gspo.train.reward{fn=…}}); empty in histories written before rewards
 *                          were configurable
 * @param truncatedFraction share of the step's samples cut at {@code sampling.maxNewTokens} ({@code finishReason}
 *                          {@code length}), exported as {@code gspo.train.truncated.fraction}; with
 *                          {@code objective.maskTruncated} they are the samples left out of the loss (0 in histories
 *                          written before it was measured)
 * @param droppedGroupShare dynamic sampling: share of the step's drawn groups dropped because their rewards were all
 *                          equal (0 without dynamic sampling)
 * @param extraRollouts     dynamic sampling: rollouts drawn beyond promptsPerStep × groupSize (0 without)
 */
public record StepMetrics(
        long step,
        long totalSteps,
        String phase,
        long policyVersion,
        double rewardMean,
        double rewardStd,
        double accuracy,
        double heldOutAccuracy,
        double loss,
        double gradNorm,
        double clipSeqLow,
        double clipSeqHigh,
        double clipSeqTotal,
        double clipTokLow,
        double clipTokHigh,
        double clipTokTotal,
        double ratioMean,
        double ratioMin,
        double ratioMax,
        double kl,
        double entropy,
        double mismatchMean,
        double mismatchMax,
        double zeroVarianceShare,
        double responseLengthMean,
        long trainTokens,
        long rolloutTokens,
        int skippedUpdates,
        long stale,
        double rolloutSeconds,
        double trainSeconds,
        double publishSeconds,
        double stepSeconds,
        double expertChangeShare,
        Map<String, Double> rewards,
        double truncatedFraction,
        double droppedGroupShare,
        long extraRollouts) {

    /** The canonical constructor is the one JSON binds to (histories written before dynamic sampling read as 0, 0). */
    @JsonCreator
    public StepMetrics {
        rewards = rewards == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(rewards));
    }

    public double rolloutTokensPerSecond() {
        return rolloutSeconds > 0 ? rolloutTokens / rolloutSeconds : 0;
    }

    public double trainTokensPerSecond() {
        return trainSeconds > 0 ? trainTokens / trainSeconds : 0;
    }
}
