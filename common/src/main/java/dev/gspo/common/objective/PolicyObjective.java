package dev.gspo.common.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.gspo.common.model.Scalars;
import java.util.Objects;

/**
 * The GSPO / GSPO-token / GRPO policy loss (docs/ALGORITHM.md §4–§9), with an optional k3 KL penalty:
 *
 * <pre>
 *   J    = mean_i J_i                       J_i from the mode's surrogate, [B] → []
 *                                           (weighted by {@link TruncatedImportance} when tisCap &gt; 0)
 *   loss = −J + β · mean_i KL_i             KL_i from {@link KlPenalty}, only when β &gt; 0
 * </pre>
 *
 * Each sequence weighs 1 whatever its length (mean over sequences, never over tokens). All
 * intermediate arrays are closed before {@link #compute} returns; only the loss survives.
 * Stateless apart from its config, thread-compatible (but DJL allows one open
 * {@code GradientCollector} at a time).
 *
 * <pre>{@code
 * PolicyObjective objective = new PolicyObjective(ObjectiveConfig.defaults(LossMode.GSPO));
 * try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
 *     NDArray newLogprobs = model.logprobs(tokens);                  // [B,T], differentiable
 *     ObjectiveResult r = objective.compute(PolicyBatch.of(newLogprobs, old, mask, adv));
 *     gc.backward(r.loss());
 * }
 * }</pre>
 */
public final class PolicyObjective {

    private final ObjectiveConfig config;
    private final Surrogate surrogate;

    public PolicyObjective(ObjectiveConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.surrogate = Surrogate.forMode(config.mode());
    }

    public ObjectiveConfig config() {
        return config;
    }

    /**
     * Computes the loss and diagnostics of one minibatch.
     *
     * @throws IllegalArgumentException for per-token advantages with {@code gspo}, β &gt; 0 without
     *                                  reference log-probs, truncated importance sampling without
     *                                  behaviour log-probs, or a sequence without valid tokens
     */
    public ObjectiveResult compute(PolicyBatch batch) {
        Objects.requireNonNull(batch, "batch");
        if (config.klBeta() > 0 && batch.refLogprobs() == null) {
            throw new IllegalArgumentException("klBeta = " + config.klBeta() + " needs refLogprobs in the batch");
        }
        double c = config.logRatioClamp();
        NDArray loss;
        LossDiagnostics diagnostics;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            MaskedTokens tokens = MaskedTokens.of(batch);
            Surrogate.Terms terms = surrogate.objective(
                    tokens, config.clip(), c, config.tis() ? new TruncatedImportance(config.tisCap(), c) : null);
            loss = terms.perSequence().mean().neg(); // −J, []
            double klToRef = Double.NaN;
            if (batch.refLogprobs() != null) {
                NDArray kl =
                        KlPenalty.perSequence(tokens, batch.refLogprobs(), c).mean(); // []
                klToRef = scalar(kl);
                if (config.klBeta() > 0) {
                    // β in kl's dtype (a Java double would promote float32 to float64) and in memory libtorch owns
                    loss = loss.add(Scalars.mul(kl, config.klBeta()));
                }
            }
            diagnostics = new DiagnosticsCalculator(config.clip(), batch.sequences(), batch.length())
                    .compute(
                            tokens.valid.toBooleanArray(),
                            floats(terms.ratio()),
                            floats(tokens.advantages),
                            floats(tokens.logRatio),
                            batch.entropy() == null ? null : floats(tokens.select(batch.entropy())),
                            scalar(loss),
                            klToRef,
                            batch.zeroVarianceShare());
            NDScope.unregister(loss);
        }
        NDScope.register(loss); // into the caller's scope, if there is one
        return new ObjectiveResult(loss, diagnostics);
    }

    /** Host copy as float32, whatever the working dtype (float32 or float64). */
    private static float[] floats(NDArray a) {
        return a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    private static double scalar(NDArray a) {
        return a.toType(DataType.FLOAT64, false).getDouble();
    }
}
