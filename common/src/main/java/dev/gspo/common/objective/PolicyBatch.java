package dev.gspo.common.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * One minibatch as the objective sees it. B = sequences, T = padded length (prompt + response +
 * padding, or response + padding: the mask decides).
 *
 * <p>Values at masked positions (mask = 0) are never read arithmetically: they may be garbage,
 * {@code NaN} or {@code −inf}. The arrays are not closed by the objective.
 *
 * @param newLogprobs       [B,T] float, log π_θ(y_t | …) of the chosen tokens; differentiable
 *                          (gradient attached, computed under a {@code GradientCollector})
 * @param oldLogprobs       [B,T] log π_old of the same tokens (e.g. as returned by the rollout)
 * @param mask              [B,T] 1 (or any non-zero, or {@code true}) = valid response token,
 *                          0 = prompt or padding; every sequence needs at least one valid token
 * @param advantages        [B] (one Â_i per sequence) or [B,T] (per-token Â_{i,t}; not for
 *                          {@code gspo})
 * @param refLogprobs       [B,T] log π_ref for the KL penalty, or {@code null}
 * @param entropy           [B,T] per-token policy entropy for the diagnostics, or {@code null}
 *                          (entropy cannot be derived from chosen-token log-probs alone)
 * @param zeroVarianceShare share of zero-variance groups in the rollout batch this minibatch came
 *                          from ({@link Advantages#zeroVarianceShare()}), passed through to the
 *                          diagnostics; {@code NaN} if unknown
 * @param behaviourLogprobs [B,T] log π_rollout of the same tokens: the log-probs the policy that
 *                          sampled them reported (the rollout engine's), for truncated importance
 *                          sampling ({@link TruncatedImportance}); {@code null} without it
 */
public record PolicyBatch(
        NDArray newLogprobs,
        NDArray oldLogprobs,
        NDArray mask,
        NDArray advantages,
        NDArray refLogprobs,
        NDArray entropy,
        double zeroVarianceShare,
        NDArray behaviourLogprobs) {

    public PolicyBatch {
        Objects.requireNonNull(newLogprobs, "newLogprobs");
        Objects.requireNonNull(oldLogprobs, "oldLogprobs");
        Objects.requireNonNull(mask, "mask");
        Objects.requireNonNull(advantages, "advantages");
        Shape s = newLogprobs.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("newLogprobs must be [B,T], got " + s);
        }
        requireShape("oldLogprobs", oldLogprobs, s);
        requireShape("mask", mask, s);
        if (refLogprobs != null) {
            requireShape("refLogprobs", refLogprobs, s);
        }
        if (entropy != null) {
            requireShape("entropy", entropy, s);
        }
        if (behaviourLogprobs != null) {
            requireShape("behaviourLogprobs", behaviourLogprobs, s);
        }
        Shape a = advantages.getShape();
        if (!a.equals(new Shape(s.get(0))) && !a.equals(s)) {
            throw new IllegalArgumentException("advantages must be [B] or [B,T] with [B,T] = " + s + ", got " + a);
        }
    }

    /** A batch without behaviour log-probs. */
    public PolicyBatch(
            NDArray newLogprobs,
            NDArray oldLogprobs,
            NDArray mask,
            NDArray advantages,
            NDArray refLogprobs,
            NDArray entropy,
            double zeroVarianceShare) {
        this(newLogprobs, oldLogprobs, mask, advantages, refLogprobs, entropy, zeroVarianceShare, null);
    }

    /** A batch without reference log-probs, entropy or zero-variance share. */
    public static PolicyBatch of(NDArray newLogprobs, NDArray oldLogprobs, NDArray mask, NDArray advantages) {
        return new PolicyBatch(newLogprobs, oldLogprobs, mask, advantages, null, null, Double.NaN, null);
    }

    public PolicyBatch withRefLogprobs(NDArray ref) {
        return new PolicyBatch(
                newLogprobs, oldLogprobs, mask, advantages, ref, entropy, zeroVarianceShare, behaviourLogprobs);
    }

    public PolicyBatch withEntropy(NDArray tokenEntropy) {
        return new PolicyBatch(
                newLogprobs,
                oldLogprobs,
                mask,
                advantages,
                refLogprobs,
                tokenEntropy,
                zeroVarianceShare,
                behaviourLogprobs);
    }

    public PolicyBatch withZeroVarianceShare(double share) {
        return new PolicyBatch(
                newLogprobs, oldLogprobs, mask, advantages, refLogprobs, entropy, share, behaviourLogprobs);
    }

    /** The same batch with the sampling policy's log-probs, for truncated importance sampling. */
    public PolicyBatch withBehaviourLogprobs(NDArray behaviour) {
        return new PolicyBatch(
                newLogprobs, oldLogprobs, mask, advantages, refLogprobs, entropy, zeroVarianceShare, behaviour);
    }

    /** B. */
    public int sequences() {
        return Math.toIntExact(newLogprobs.getShape().get(0));
    }

    /** T. */
    public int length() {
        return Math.toIntExact(newLogprobs.getShape().get(1));
    }

    /** True when advantages are given per token ([B,T]). */
    public boolean perTokenAdvantages() {
        return advantages.getShape().dimension() == 2;
    }

    private static void requireShape(String name, NDArray a, Shape expected) {
        if (!a.getShape().equals(expected)) {
            throw new IllegalArgumentException(name + " must have shape " + expected + ", got " + a.getShape());
        }
    }
}
