package dev.gspo.common.replica;

import static dev.gspo.common.replica.RejectedWeightsException.Reason.CHECKSUM_MISMATCH;
import static dev.gspo.common.replica.RejectedWeightsException.Reason.INCOMPATIBLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.SafetensorsView;
import dev.gspo.common.model.TestModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A push holding a non-finite value, through both ways a replica installs one ({@link WeightInstall#build}, checksum
 * first, and {@link WeightInstall#buildWhileHashing}): refused as {@code INCOMPATIBLE} with the message naming the
 * tensor and flat index, after a wrong checksum; the storage its fill was writing into goes back into the retired slot
 * (refilled storage) or is freed (new storage).
 */
class NonFinitePushTest {
    private static final ModelConfig QWEN2 = TestModels.config("qwen2", 4, 2, false);

    /** One way to install a push: {@code (body, announced SHA-256, slot or null) -> model}. */
    private interface Install {
        PolicyModel install(byte[] body, String sha256, RetiredWeights retired);
    }

    NDManager manager;
    /** Where installed weights live: empty again after every rejected push without a slot. */
    NDManager storage;

    PolicyModel served;
    byte[] good;
    List<SafetensorsView.Entry> entries;
    List<Install> installs;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        storage = manager.newSubManager();
        served = TestModels.random(manager, QWEN2, 21);
        good = served.weightsAsSafetensors();
        entries = List.copyOf(SafetensorsView.of(good).entries().values());
        installs = List.of(
                (body, sha, retired) -> WeightInstall.build(
                        served, body, PolicyModel.sha256(body), sha, storage, new PushStages(), retired),
                (body, sha, retired) -> WeightInstall.buildWhileHashing(
                        served, body, () -> PolicyModel.sha256(body), sha, storage, new PushStages(), retired));
    }

    @AfterEach
    void tearDown() {
        served.close();
        manager.close();
    }

    @Test
    void aNonFiniteValueIsRefusedAsIncompatibleNamingItsTensorAndFlatIndex() {
        SafetensorsView.Entry last = entries.getLast();
        int end = last.elementCount() - 1;
        for (Install install : installs) {
            byte[] body = poisoned(good, last.name(), end, Float.NEGATIVE_INFINITY);

            assertRejected(
                    () -> install.install(body, PolicyModel.sha256(body), null),
                    INCOMPATIBLE,
                    "tensor " + last.name() + " holds a non-finite value (-Infinity) at flat index " + end);
            assertThat(storage.getManagedArrays())
                    .as("storage of the rejected push")
                    .isEmpty();
        }
        // the one-argument form, as an in-process replica calls it
        byte[] body = poisoned(good, entries.getFirst().name(), 0, Float.NaN);
        assertRejected(
                () -> WeightInstall.build(served, body, PolicyModel.sha256(body), storage),
                INCOMPATIBLE,
                "tensor " + entries.getFirst().name() + " holds a non-finite value (NaN) at flat index 0");
    }

    @Test
    void aWrongChecksumIsReportedBeforeANonFiniteValue() {
        byte[] body = poisoned(good, entries.get(2).name(), 5, Float.NaN);
        for (Install install : installs) {
            RetiredWeights retired = new RetiredWeights();
            try (retired) {
                assertThatThrownBy(() -> install.install(body, "0".repeat(64), retired))
                        .isInstanceOfSatisfying(RejectedWeightsException.class, e -> assertThat(e.reason())
                                .isEqualTo(CHECKSUM_MISMATCH));
            }
            assertThat(storage.getManagedArrays()).isEmpty();
        }
    }

    @Test
    void aNonFiniteValueFoundWhileRefillingPutsTheRetiredStorageBackForTheNextPush() {
        SafetensorsView.Entry middle = entries.get(entries.size() / 2);
        for (Install install : installs) {
            try (RetiredWeights retired = new RetiredWeights()) {
                PolicyModel v1 = install.install(good, PolicyModel.sha256(good), retired);
                NDArray v1Embedding = v1.weights().embedTokens();
                retired.retire(v1); // nothing uses v1 any more: its storage waits in the slot
                byte[] bad = poisoned(good, middle.name(), middle.elementCount() / 2, Float.POSITIVE_INFINITY);

                assertRejected(
                        () -> install.install(bad, PolicyModel.sha256(bad), retired),
                        INCOMPATIBLE,
                        "tensor " + middle.name() + " holds a non-finite value (Infinity) at flat index "
                                + middle.elementCount() / 2);

                assertThat(retired.counts()).as("retired, taken").containsExactly(2, 1);
                byte[] next = poisoned(good, middle.name(), 0, 0.5f);
                try (PolicyModel v2 = install.install(next, PolicyModel.sha256(next), retired)) {
                    assertThat(v2.weights().embedTokens()).isSameAs(v1Embedding);
                    assertThat(v2.weights().get(middle.name()).toFloatArray()[0])
                            .isEqualTo(0.5f);
                }
                assertThat(retired.counts()).as("retired, taken").containsExactly(2, 2);
            }
            assertThat(storage.getManagedArrays()).isEmpty();
        }
    }

    private static void assertRejected(
            ThrowingCallable install, RejectedWeightsException.Reason reason, String message) {
        assertThatThrownBy(install)
                .isInstanceOfSatisfying(RejectedWeightsException.class, e -> assertThat(e.reason())
                        .isEqualTo(reason))
                .hasMessage(message);
    }

    /** A copy of {@code body} with {@code value} at flat index {@code index} of tensor {@code name}. */
    private static byte[] poisoned(byte[] body, String name, int index, float value) {
        byte[] out = body.clone();
        SafetensorsView.Entry t = SafetensorsView.of(out).entries().get(name);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putFloat(t.offset() + 4 * index, value);
        return out;
    }
}
