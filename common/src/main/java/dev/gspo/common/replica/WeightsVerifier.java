package dev.gspo.common.replica;

import static dev.gspo.common.replica.RejectedWeightsException.Reason.CHECKSUM_MISMATCH;
import static dev.gspo.common.replica.RejectedWeightsException.Reason.INCOMPATIBLE;
import static dev.gspo.common.replica.RejectedWeightsException.Reason.MALFORMED;

import dev.gspo.common.model.InvalidModelException;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.PolicyWeights;
import dev.gspo.common.model.SafetensorsView;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Checks a pushed weight set before anything is built from it: the SHA-256 of the bytes, the safetensors framing,
 * then against the served architecture every tensor's name, shape and dtype (F32 only: the served weights are F32 and
 * a narrower push would silently lose precision). That every value is finite is checked after these, while the
 * values are copied into the new model's storage ({@link WeightInstall}: one read of the body, not two).
 */
public final class WeightsVerifier {
    private WeightsVerifier() {}

    /**
     * @return the checked buffer, ready for {@code model.withWeights} (which checks that the values are finite as it
     *     copies them): nothing has been decoded or copied
     */
    public static SafetensorsView verify(byte[] body, String expectedSha256, ModelConfig config) {
        PushStages stages = new PushStages();
        String actual = PolicyModel.sha256(body);
        return verify(body, actual, expectedSha256, config, stages);
    }

    /**
     * As {@link #verify(byte[], String, ModelConfig)}, with the body's SHA-256 already computed (a replica hashes the
     * body while it receives it), each check's time added to {@code stages}.
     *
     * @param actualSha256 the SHA-256 of exactly {@code body}, hex as {@link PolicyModel#sha256} writes it
     */
    public static SafetensorsView verify(
            byte[] body, String actualSha256, String expectedSha256, ModelConfig config, PushStages stages) {
        requireChecksum(body.length, actualSha256, expectedSha256);
        stages.lap(PushStages.SHA256);
        return verifyContent(body, config, stages);
    }

    /**
     * @throws RejectedWeightsException {@code CHECKSUM_MISMATCH} unless the body's SHA-256 is the announced one
     *                                  (compared in constant time)
     */
    public static void requireChecksum(long bodyLength, String actualSha256, String expectedSha256) {
        if (!MessageDigest.isEqual(
                actualSha256.getBytes(StandardCharsets.US_ASCII), expectedSha256.getBytes(StandardCharsets.US_ASCII))) {
            throw new RejectedWeightsException(
                    CHECKSUM_MISMATCH,
                    "X-Content-SHA256 " + expectedSha256 + " does not match the SHA-256 of the " + bodyLength
                            + "-byte body, " + actualSha256);
        }
    }

    /**
     * The checks after the checksum that need no pass over the values: framing, names, shapes, dtypes ({@link
     * PushStages#PARSE}). Finite values are checked by the build, while it copies them ({@link PushStages#BUILD}).
     *
     * @return the checked buffer, ready for {@code model.withWeights}: nothing has been decoded or copied
     */
    public static SafetensorsView verifyContent(byte[] body, ModelConfig config, PushStages stages) {
        SafetensorsView view;
        try {
            view = SafetensorsView.of(body);
        } catch (InvalidModelException e) {
            throw new RejectedWeightsException(MALFORMED, "body is not a valid safetensors file: " + e.getMessage());
        }
        for (SafetensorsView.Entry t : view.entries().values()) {
            if (!t.dtype().equals("F32")) {
                throw new RejectedWeightsException(
                        INCOMPATIBLE,
                        "tensor " + t.name() + " has dtype " + t.dtype() + "; pushed weights must be F32");
            }
        }
        try {
            PolicyWeights.validateShapes(config, view.shapes());
        } catch (InvalidModelException e) {
            throw new RejectedWeightsException(
                    INCOMPATIBLE, "weights do not fit the served " + config.modelType() + " model: " + e.getMessage());
        }
        stages.lap(PushStages.PARSE);
        return view;
    }
}
