package dev.gspo.common.replica;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.SafetensorsView;

/**
 * How a replica turns published weights into the model it will serve next, the same for the rollout-service
 * ({@code PUT /v1/policy}) and an in-process replica: {@link WeightsVerifier#verify verify} the bytes against their
 * SHA-256 and the served architecture, then build a new model from them with {@link PolicyModel#withWeights} (same
 * config and tokenizer as the served one). The served model is neither read for its weights nor changed: the caller
 * swaps the result in and retires the old version when nothing uses it any more.
 */
public final class WeightInstall {
    private WeightInstall() {}

    /**
     * @param served      the version serving now (its config and tokenizer are kept)
     * @param safetensors the published {@code model.safetensors} bytes
     * @param sha256      the SHA-256 the publisher announced (hex, as {@link PolicyModel#sha256} writes it)
     * @param manager     where the new weights live
     * @throws RejectedWeightsException if the bytes do not check out; nothing is allocated then
     */
    public static PolicyModel build(PolicyModel served, byte[] safetensors, String sha256, NDManager manager) {
        return build(served, safetensors, PolicyModel.sha256(safetensors), sha256, manager, new PushStages(), null);
    }

    /**
     * As {@link #build(PolicyModel, byte[], String, NDManager)}, with the body's SHA-256 computed while it was
     * received, each step's time added to {@code stages} (verify: {@link PushStages#SHA256}, {@link PushStages#PARSE},
     * {@link PushStages#FINITE}; then {@link PushStages#BUILD}), and the storage of a retired version filled when
     * there is one ({@link RetiredWeights}): it is taken only after every check passed, so a rejected push leaves it
     * in place.
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
        PolicyModel next = served.withWeights(view, manager, retired == null ? null : retired.take());
        stages.lap(PushStages.BUILD);
        return next;
    }
}
