package dev.gspo.common.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The batch after masking: every [B,T] input is passed through {@code where(valid, x, 0)} before
 * any arithmetic, so that garbage, {@code NaN} or {@code −inf} at masked positions can reach
 * neither the value nor the gradient (the gradient of {@code where} is exactly 0 on the
 * unselected side). All arrays are in the dtype of {@code newLogprobs}.
 */
final class MaskedTokens {

    /** [B,T] boolean, true = valid response token. */
    final NDArray valid;
    /** [B] |y_i| = number of valid tokens of sequence i (as a float). */
    final NDArray lengths;
    /** [B,T] log π_θ at valid positions, 0 elsewhere; carries the gradient. */
    final NDArray newLogprobs;
    /** [B,T] log π_old at valid positions, 0 elsewhere. */
    final NDArray oldLogprobs;
    /** [B,T] d_{i,t} = log π_θ − log π_old at valid positions, 0 elsewhere (not clamped). */
    final NDArray logRatio;
    /** [B] or [B,T] advantages as given (masked when per token). */
    final NDArray advantages;
    /** [B,T] δ_{i,t} = log π_old − log π_rollout at valid positions, 0 elsewhere; null without behaviour log-probs. */
    private final NDArray behaviourLogRatio;

    private final NDArray zeros;
    private final DataType dtype;

    private MaskedTokens(PolicyBatch batch) {
        NDArray mask = batch.mask();
        dtype = batch.newLogprobs().getDataType();
        valid = mask.getDataType() == DataType.BOOLEAN ? mask : mask.neq(0);
        zeros = batch.newLogprobs().zerosLike();
        lengths = valid.toType(dtype, false).sum(new int[] {1});
        newLogprobs = select(batch.newLogprobs());
        oldLogprobs = select(batch.oldLogprobs());
        logRatio = newLogprobs.sub(oldLogprobs);
        advantages = batch.perTokenAdvantages()
                ? select(batch.advantages())
                : batch.advantages().toType(dtype, false);
        behaviourLogRatio =
                batch.behaviourLogprobs() == null ? null : oldLogprobs.sub(select(batch.behaviourLogprobs()));
    }

    /**
     * δ_{i,t} = log π_old − log π_rollout, [B,T], 0 at masked positions.
     *
     * @throws IllegalArgumentException when the batch has no behaviour log-probs
     */
    NDArray behaviourLogRatio() {
        if (behaviourLogRatio == null) {
            throw new IllegalArgumentException(
                    "truncated importance sampling needs the rollout's log-probs (behaviourLogprobs) in the batch");
        }
        return behaviourLogRatio;
    }

    /**
     * Masks the batch.
     *
     * @throws IllegalArgumentException if a sequence has no valid token (its token mean would be
     *                                  0/0); the offending row is named
     */
    static MaskedTokens of(PolicyBatch batch) {
        MaskedTokens t = new MaskedTokens(batch);
        float[] len = t.lengths.toType(DataType.FLOAT32, false).toFloatArray(); // float32 or float64
        for (int i = 0; i < len.length; i++) {
            if (len[i] < 1) {
                throw new IllegalArgumentException("sequence " + i + " has no valid token (mask row is all 0)");
            }
        }
        return t;
    }

    /** where(valid, x, 0): [B,T] → [B,T], in the working dtype. */
    NDArray select(NDArray x) {
        return NDArrays.where(valid, x.toType(dtype, false), zeros);
    }

    /** Â_{i,t} as [B,T]: per-token advantages as given, or Â_i repeated over t; 0 where masked. */
    NDArray tokenAdvantages() {
        if (advantages.getShape().dimension() == 2) {
            return advantages;
        }
        Shape bt = valid.getShape();
        return select(advantages.expandDims(1).broadcast(bt));
    }

    /**
     * Per-sequence token mean over valid tokens: (1/|y_i|) Σ_t where(valid, x_{i,t}, 0).
     * [B,T] → [B].
     */
    NDArray sequenceMean(NDArray perToken) {
        return select(perToken).sum(new int[] {1}).div(lengths);
    }
}
