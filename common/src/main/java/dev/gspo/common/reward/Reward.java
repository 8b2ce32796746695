package dev.gspo.common.reward;

import java.util.List;

/**
 * A reward function over a batch of responses. The built-in functions score each response on its own
 * ({@link SampleReward}); a remote one sends the batch to a server.
 *
 * <p>Contract of the built-in functions: total. For every input (empty, garbage, megabytes long) they return a finite
 * number and never throw, because one odd sample must not stop a run. A remote function throws when its server
 * fails: a step must never train on rewards that were not computed.
 */
@FunctionalInterface
public interface Reward {

    /** One score per input, in order. */
    RewardScores score(List<RewardInput> inputs);
}
