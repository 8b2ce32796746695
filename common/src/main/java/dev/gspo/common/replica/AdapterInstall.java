package dev.gspo.common.replica;

import static dev.gspo.common.replica.RejectedWeightsException.Reason.BASE_MISMATCH;
import static dev.gspo.common.replica.RejectedWeightsException.Reason.CHECKSUM_MISMATCH;
import static dev.gspo.common.replica.RejectedWeightsException.Reason.INCOMPATIBLE;
import static dev.gspo.common.replica.RejectedWeightsException.Reason.MALFORMED;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.lora.PeftAdapter;
import dev.gspo.common.model.InvalidModelException;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.NonFiniteWeightsException;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.model.SafetensorsView;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * How a replica installs a pushed LoRA adapter ({@code PUT /v1/policy/adapter}) over the base it keeps: verify, then
 * build the next served model as the base with the adapter merged in, W + (α/r)·B A, so that decoding runs on plain
 * weights exactly as after a full push.
 *
 * <p>Checked before anything is built, each failure a {@link RejectedWeightsException} naming the problem: the body's
 * SHA-256 (400), its safetensors framing and its LoRA metadata (400), that it was trained on the base the replica
 * keeps (the announced base SHA-256 equals the SHA-256 of the replica's last full push: else 409, push the base
 * first), then against the served architecture every tensor's name (PEFT's), shape and dtype (F32) and that every value
 * is finite (422).
 */
public final class AdapterInstall {
    private AdapterInstall() {}

    /** A checked adapter push. */
    public record Verified(LoraConfig lora, Map<String, Safetensors.Tensor> tensors) {}

    public static Verified verify(
            byte[] body, String sha256, String announcedBaseSha256, String servedBaseSha256, PolicyModel served) {
        String actual = PolicyModel.sha256(body);
        if (!MessageDigest.isEqual(
                actual.getBytes(StandardCharsets.US_ASCII), sha256.getBytes(StandardCharsets.US_ASCII))) {
            throw new RejectedWeightsException(
                    CHECKSUM_MISMATCH,
                    "X-Content-SHA256 " + sha256 + " does not match the SHA-256 of the " + body.length + "-byte body, "
                            + actual);
        }
        SafetensorsView view;
        LoraConfig lora;
        try {
            view = SafetensorsView.of(body);
            lora = PeftAdapter.pushConfig(view.metadata());
        } catch (InvalidModelException e) {
            throw new RejectedWeightsException(MALFORMED, "body is not a LoRA adapter: " + e.getMessage());
        }
        if (!announcedBaseSha256.equals(servedBaseSha256)) {
            throw new RejectedWeightsException(
                    BASE_MISMATCH,
                    "the adapter was trained on base weights with sha256 " + announcedBaseSha256
                            + ", this replica keeps base " + servedBaseSha256 + ": push the base weights first");
        }
        for (SafetensorsView.Entry t : view.entries().values()) {
            if (!t.dtype().equals("F32")) {
                throw new RejectedWeightsException(
                        INCOMPATIBLE, "tensor " + t.name() + " has dtype " + t.dtype() + "; adapters must be F32");
            }
        }
        Map<String, Safetensors.Tensor> tensors = Safetensors.read(body);
        try (NDManager probe = NDManager.newBaseManager()) {
            // the checks of LoraWeights.fromTensors (names, shapes, finite values, rank against the layers' widths)
            PeftAdapter.fromPeftTensors(served.config(), lora, tensors, probe).close();
        } catch (InvalidModelException e) {
            throw new RejectedWeightsException(
                    INCOMPATIBLE,
                    "adapter does not fit the served " + served.config().modelType() + " model: " + e.getMessage());
        }
        return new Verified(lora, tensors);
    }

    /** The next served model and its weights as safetensors (what {@code GET /v1/policy/weights} then serves). */
    public record Built(PolicyModel model, byte[] safetensors) {}

    /**
     * The next served model: the base (the replica's last full push, as bytes) with the verified adapter merged in.
     * Intermediate arrays are freed before it returns; the result lives in {@code manager}.
     *
     * @throws RejectedWeightsException {@code INCOMPATIBLE} if a merged weight is not finite (an adapter whose finite
     *                                  values overflow float32 once merged); nothing is built then
     */
    public static Built build(PolicyModel served, byte[] baseSafetensors, Verified adapter, NDManager manager) {
        byte[] merged;
        try (NDManager work = manager.newSubManager()) {
            PolicyModel base = served.withWeights(SafetensorsView.of(baseSafetensors), work);
            try (PolicyModel adapted = base.withLora(
                    PeftAdapter.fromPeftTensors(served.config(), adapter.lora(), adapter.tensors(), work))) {
                merged = adapted.mergedWeightsAsSafetensors();
            }
        }
        try {
            return new Built(served.withWeights(SafetensorsView.of(merged), manager), merged);
        } catch (NonFiniteWeightsException e) { // finite A, B and W whose W + (α/r)·B A overflows float32
            throw new RejectedWeightsException(
                    INCOMPATIBLE,
                    "merging the adapter into the base weights gives a non-finite value: " + e.getMessage());
        }
    }
}
