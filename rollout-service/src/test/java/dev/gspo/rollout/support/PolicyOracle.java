package dev.gspo.rollout.support;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.scoring.ResponseLogprobs;
import dev.gspo.common.scoring.TeacherForcedScorer;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.common.wire.Sample;
import dev.gspo.common.wire.SampleGroup;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The test's own copy of every policy version it has seen, to recompute the log-probs of returned samples by teacher
 * forcing (the optimizer's path) under exactly the weights of a version.
 */
public final class PolicyOracle implements AutoCloseable {
    private final NDManager manager = NDManager.newBaseManager();
    private final PolicyModel template;
    private final Map<Long, PolicyModel> versions = new HashMap<>();

    /** @param template any model of the served architecture (its config and tokenizer are reused) */
    public PolicyOracle(PolicyModel template) {
        this.template = template;
    }

    public synchronized void remember(long version, byte[] safetensors) {
        versions.put(version, template.withWeights(Safetensors.read(safetensors), manager));
    }

    /** The version as the pusher holds it: its float values, never serialised or parsed. */
    public synchronized void remember(long version, List<Safetensors.Tensor> tensors) {
        Map<String, Safetensors.Tensor> byName = new java.util.LinkedHashMap<>();
        tensors.forEach(t -> byName.put(t.name(), t));
        versions.put(version, template.withWeights(byName, manager));
    }

    public synchronized java.util.Set<Long> versions() {
        return java.util.Set.copyOf(versions.keySet());
    }

    /** max over tokens of |returned log-prob − teacher-forced log-prob under {@code version}|. */
    public synchronized double maxError(long version, int[] promptTokenIds, Sample sample, double temperature) {
        PolicyModel model = versions.get(version);
        if (model == null) {
            throw new IllegalArgumentException("the oracle never saw version " + version);
        }
        float t = temperature == 0 ? 1f : (float) temperature;
        try (NDScope ignored = new NDScope()) {
            ResponseLogprobs lp = TeacherForcedScorer.score(
                    model.transformer(), manager, List.of(promptTokenIds), List.of(sample.tokenIds()), new float[] {t});
            float[] expected = lp.logprobs().toFloatArray();
            double max = 0;
            for (int i = 0; i < sample.logprobs().length; i++) {
                max = Math.max(max, Math.abs(expected[i] - sample.logprobs()[i]));
            }
            return max;
        }
    }

    /** {@link #maxError} over every sample of a response, scored under {@code version}. */
    public double maxError(long version, RolloutResponse response, double temperature) {
        double max = 0;
        for (SampleGroup g : response.groups()) {
            for (Sample s : g.samples()) {
                max = Math.max(max, maxError(version, g.promptTokenIds(), s, temperature));
            }
        }
        return max;
    }

    /**
     * How well a response agrees with the version it names ({@code own}) and with the closest of every other version
     * the oracle knows ({@code closestOther}, +∞ when it knows no other): a response made by exactly one version has
     * a tiny {@code own} and a clearly larger {@code closestOther}.
     */
    public Agreement agreement(RolloutResponse response, double temperature) {
        double own = maxError(response.policyVersion(), response, temperature);
        double closestOther = Double.POSITIVE_INFINITY;
        for (long v : versions()) {
            if (v != response.policyVersion()) {
                closestOther = Math.min(closestOther, maxError(v, response, temperature));
            }
        }
        return new Agreement(own, closestOther);
    }

    /** Max log-prob errors of a response under its named version and under the closest other version. */
    public record Agreement(double own, double closestOther) {}

    @Override
    public synchronized void close() {
        versions.values().forEach(PolicyModel::close);
        manager.close();
    }
}
