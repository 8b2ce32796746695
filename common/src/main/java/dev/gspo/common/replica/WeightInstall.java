package dev.gspo.common.replica;

import static dev.gspo.common.replica.RejectedWeightsException.Reason.INCOMPATIBLE;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.NonFiniteWeightsException;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.PolicyWeights;
import dev.gspo.common.model.SafetensorsView;
import java.util.function.Supplier;

/**
 * How a replica turns published weights into the model it will serve next, the same for the rollout-service
 * ({@code PUT /v1/policy}) and an in-process replica: {@link WeightsVerifier#verify verify} the bytes against their
 * SHA-256 and the served architecture, then build a new model from them with {@link PolicyModel#withWeights} (same
 * config and tokenizer as the served one), which checks that every value is finite while it copies it into the new
 * storage (one read of the body for both). The served model is neither read for its weights nor changed: the caller
 * swaps the result in and retires the old version when nothing uses it any more.
 *
 * <p>The order of the checks, as a client sees them: checksum, then framing, names, shapes and dtypes, then finite
 * values; each failure a {@link RejectedWeightsException}, a non-finite value {@code INCOMPATIBLE} with the message
 * {@code "tensor <name> holds a non-finite value (<value>) at flat index <i>"} (the first in the body's tensor order,
 * then flat index order).
 */
public final class WeightInstall {
    private WeightInstall() {}

    /**
     * @param served      the version serving now (its config and tokenizer are kept)
     * @param safetensors the published {@code model.safetensors} bytes
     * @param sha256      the SHA-256 the publisher announced (hex, as {@link PolicyModel#sha256} writes it)
     * @param manager     where the new weights live
     * @throws RejectedWeightsException if the bytes do not check out. Nothing is allocated for a wrong checksum,
     *                                  framing, name, shape or dtype; a non-finite value is found while the new
     *                                  storage is filled, which is then freed
     */
    public static PolicyModel build(PolicyModel served, byte[] safetensors, String sha256, NDManager manager) {
        return build(served, safetensors, PolicyModel.sha256(safetensors), sha256, manager, new PushStages(), null);
    }

    /**
     * As {@link #build(PolicyModel, byte[], String, NDManager)}, with the body's SHA-256 computed while it was
     * received, each step's time added to {@code stages} (verify: {@link PushStages#SHA256}, {@link PushStages#PARSE};
     * then {@link PushStages#BUILD}, which includes the check for non-finite values), and the storage of a retired
     * version filled when there is one ({@link RetiredWeights}): it is taken only after the checksum, framing, names,
     * shapes and dtypes passed, and a push rejected for a non-finite value found while refilling it puts it back, so
     * a rejected push leaves it in the slot.
     *
     * @param actualSha256 the SHA-256 of exactly {@code safetensors}
     * @param retired where retired versions' storage waits, or null to always allocate new storage
     */
    public static PolicyModel build(
            PolicyModel served,
            byte[] safetensors,
            String actualSha256,
            String sha256,
            NDManager manager,
            PushStages stages,
            RetiredWeights retired) {
        SafetensorsView view = WeightsVerifier.verify(safetensors, actualSha256, sha256, served.config(), stages);
        PolicyModel next = buildFinite(served, view, manager, retired);
        stages.lap(PushStages.BUILD);
        return next;
    }

    /**
     * As {@link #build(PolicyModel, byte[], String, String, NDManager, PushStages, RetiredWeights)} for a body whose
     * SHA-256 is still being computed on another thread ({@code actualSha256} waits for it): the content is checked
     * and the model built <em>while</em> the digest is finished, and the checksum compared after. The result is the
     * same as checking the checksum first: a wrong checksum is reported before anything the content is wrong in, and
     * nothing built from an unverified body is returned: a model built from it is taken apart again, its storage put
     * back into {@code retired} (or freed) for the next push, and so is the storage of one whose fill found a
     * non-finite value. Stages: {@link PushStages#PARSE}, {@link PushStages#BUILD} (with the check for non-finite
     * values), then the caller's wait for the digest, then {@link PushStages#SHA256}.
     *
     * @param actualSha256 waits for and returns the SHA-256 of exactly {@code safetensors}
     */
    public static PolicyModel buildWhileHashing(
            PolicyModel served,
            byte[] safetensors,
            Supplier<String> actualSha256,
            String sha256,
            NDManager manager,
            PushStages stages,
            RetiredWeights retired) {
        PolicyModel next = null;
        RejectedWeightsException rejected = null;
        try {
            SafetensorsView view = WeightsVerifier.verifyContent(safetensors, served.config(), stages);
            next = buildFinite(served, view, manager, retired);
            stages.lap(PushStages.BUILD);
        } catch (RejectedWeightsException e) {
            rejected = e; // reported only once the checksum is known to be right
        }
        try {
            WeightsVerifier.requireChecksum(safetensors.length, actualSha256.get(), sha256);
        } catch (RuntimeException | Error e) {
            discard(next, retired);
            throw e;
        }
        stages.lap(PushStages.SHA256);
        if (rejected != null) {
            throw rejected;
        }
        return next;
    }

    /**
     * The new model from a checked buffer, in the storage taken from {@code retired} when there is some, every value
     * checked finite while it is copied ({@link PolicyWeights#fromSafetensors}).
     *
     * @throws RejectedWeightsException {@code INCOMPATIBLE}, with {@link NonFiniteWeightsException}'s message, if a
     *                                  value is ±Infinity or NaN: nothing is built; new storage has been freed, and
     *                                  storage taken from {@code retired} goes back into it for the next push
     */
    private static PolicyModel buildFinite(
            PolicyModel served, SafetensorsView view, NDManager manager, RetiredWeights retired) {
        try {
            return served.withWeights(view, manager, retired == null ? null : retired.take());
        } catch (NonFiniteWeightsException e) {
            PolicyWeights handedBack = e.takeRetired(); // non-null only if taken from retired
            if (retired != null) {
                retired.putBack(handedBack);
            } else if (handedBack != null) {
                handedBack.close();
            }
            throw new RejectedWeightsException(INCOMPATIBLE, e.getMessage());
        }
    }

    /** A model built from a body that turned out to be wrong: its storage goes back to {@code retired}, or is freed. */
    private static void discard(PolicyModel model, RetiredWeights retired) {
        if (model == null) {
            return;
        }
        if (retired != null) {
            retired.retire(model);
        } else {
            model.close();
        }
    }
}
