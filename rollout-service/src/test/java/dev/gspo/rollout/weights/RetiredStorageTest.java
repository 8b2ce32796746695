package dev.gspo.rollout.weights;

import static dev.gspo.common.replica.RejectedWeightsException.Reason.CHECKSUM_MISMATCH;
import static dev.gspo.common.replica.RejectedWeightsException.Reason.INCOMPATIBLE;
import static dev.gspo.common.replica.RejectedWeightsException.Reason.MALFORMED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.model.SafetensorsView;
import dev.gspo.common.replica.RejectedWeightsException;
import dev.gspo.rollout.support.WeightSets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full push refills the native storage of a retired version instead of allocating new memory, and never the storage
 * of a version that a decode batch still holds (a batch holds its version through a {@link PolicyLease}, as {@code
 * DecodeWorker} does).
 */
class RetiredStorageTest {
    @TempDir
    Path dir;

    ReplicaUnderPush replica;

    @BeforeEach
    void setUp() {
        replica = new ReplicaUnderPush(dir);
    }

    @AfterEach
    void tearDown() {
        replica.close();
    }

    private byte[] push(long version) {
        return replica.push(version);
    }

    private void push(long version, byte[] bytes, String announcedSha256) {
        replica.push(version, bytes, announcedSha256);
    }

    /** Every weight of {@code model} equals the pushed body's float for float. */
    private static void assertServes(PolicyModel model, byte[] pushed) {
        SafetensorsView view = SafetensorsView.of(pushed);
        Map<String, NDArray> weights = model.weights().byName();
        assertThat(weights.keySet()).containsExactlyElementsOf(view.entries().keySet());
        weights.forEach((name, array) -> {
            FloatBuffer expected = view.f32(name);
            float[] want = new float[expected.remaining()];
            expected.get(want);
            assertThat(array.toFloatArray()).as(name).containsExactly(want);
        });
    }

    @Test
    void aPushRefillsTheStorageOfAVersionNothingUsesAnyMore() {
        push(1);
        NDArray v1Embedding = replica.registry.current().model().weights().embedTokens();
        push(2); // v1's last reference (the registry's) goes: its storage waits in the slot

        byte[] v3 = push(3);

        PolicyModel served = replica.registry.current().model();
        assertThat(served.weights().embedTokens()).isSameAs(v1Embedding);
        assertThat(replica.updater.retired().counts()[1]).isEqualTo(1); // taken once
        assertServes(served, v3);
    }

    @Test
    void aVersionADecodeBatchHoldsIsNeverRefilled() {
        byte[] v1 = push(1);
        PolicyLease batch = replica.registry.acquire(); // a decode batch running on v1
        NDArray v1Embedding = batch.model().weights().embedTokens();

        push(2); // v1 is replaced but still leased
        push(3); // v2 retires: its storage is the one refilled next
        push(4); // refills v2's storage
        byte[] v5 = push(5); // refills v3's

        assertThat(replica.registry.current().model().weights().embedTokens()).isNotSameAs(v1Embedding);
        assertServes(batch.model(), v1); // untouched while the batch holds it
        assertServes(replica.registry.current().model(), v5);

        batch.close(); // now v1 retires
        byte[] v6 = push(6);

        assertThat(replica.registry.current().model().weights().embedTokens()).isSameAs(v1Embedding);
        assertServes(replica.registry.current().model(), v6);
    }

    @Test
    void aRejectedPushLeavesTheRetiredStorageForTheNextOne() {
        push(1);
        NDArray v1Embedding = replica.registry.current().model().weights().embedTokens();
        push(2);
        byte[] bad = WeightSets.randomBytes(replica.registry.current().model().config(), 77);

        // valid weights, so the model is built (into v1's storage) before the checksum is found wrong
        assertThatThrownBy(() -> push(3, bad, "0".repeat(64)))
                .isInstanceOfSatisfying(RejectedWeightsException.class, e -> assertThat(e.reason())
                        .isEqualTo(CHECKSUM_MISMATCH));
        assertTheNextPushRefills(v1Embedding);
    }

    /**
     * A non-finite value is found while the retired version's storage is refilled: the push is refused as before
     * (422's reason and message) and the storage goes back into the slot, so the next push still refills it.
     */
    @Test
    void aPushRefusedForANonFiniteValueLeavesTheRetiredStorageForTheNextOne() {
        push(1);
        NDArray v1Embedding = replica.registry.current().model().weights().embedTokens();
        push(2);
        ModelConfig config = replica.registry.current().model().config();
        List<Safetensors.Tensor> weights = WeightSets.random(config, 78);
        Safetensors.Tensor last = weights.getLast();
        int end = last.data().length - 1;
        byte[] bad = WeightSets.bytes(WeightSets.with(weights, last.name(), t -> {
            float[] d = t.data().clone();
            d[end] = Float.NaN;
            return Safetensors.Tensor.f32(t.name(), t.shape(), d);
        }));

        assertThatThrownBy(() -> push(3, bad, PolicyModel.sha256(bad)))
                .isInstanceOfSatisfying(RejectedWeightsException.class, e -> assertThat(e.reason())
                        .isEqualTo(INCOMPATIBLE))
                .hasMessage("tensor " + last.name() + " holds a non-finite value (NaN) at flat index " + end);
        assertTheNextPushRefills(v1Embedding);
    }

    /** The same bytes with a wrong checksum: the checksum is what the push hears, and the storage is kept too. */
    @Test
    void aWrongChecksumIsReportedBeforeANonFiniteValue() {
        push(1);
        NDArray v1Embedding = replica.registry.current().model().weights().embedTokens();
        push(2);
        byte[] bad = WeightSets.randomBytes(replica.registry.current().model().config(), 79);
        SafetensorsView.Entry first =
                SafetensorsView.of(bad).entries().values().iterator().next();
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putFloat(first.offset(), Float.POSITIVE_INFINITY);

        assertThatThrownBy(() -> push(3, bad, "0".repeat(64)))
                .isInstanceOfSatisfying(RejectedWeightsException.class, e -> assertThat(e.reason())
                        .isEqualTo(CHECKSUM_MISMATCH));
        assertTheNextPushRefills(v1Embedding);
    }

    /**
     * The content is checked while the digest is finished, but a wrong checksum is what a push hears first, as when
     * the checksum was compared before anything else; with the right checksum the same bytes are refused for their
     * framing.
     */
    @Test
    void aWrongChecksumIsReportedBeforeWhatIsWrongInTheContent() {
        byte[] notSafetensors = new byte[4096];
        notSafetensors[0] = 0x7f; // a header longer than the body

        assertThatThrownBy(() -> push(1, notSafetensors, "0".repeat(64)))
                .isInstanceOfSatisfying(RejectedWeightsException.class, e -> assertThat(e.reason())
                        .isEqualTo(CHECKSUM_MISMATCH));
        assertThatThrownBy(() -> push(1, notSafetensors, PolicyModel.sha256(notSafetensors)))
                .isInstanceOfSatisfying(RejectedWeightsException.class, e -> assertThat(e.reason())
                        .isEqualTo(MALFORMED));
        assertThat(replica.registry.current().version()).isZero();
    }

    /**
     * After a refused third push: version 2 is still served, version 1's storage is back in the slot, and the next
     * push refills it and serves its own weights.
     */
    private void assertTheNextPushRefills(NDArray v1Embedding) {
        assertThat(replica.registry.current().version()).isEqualTo(2);
        assertThat(replica.updater.retired().counts()).as("retired, taken").containsExactly(2, 1);
        byte[] v3 = push(3);

        assertThat(replica.registry.current().model().weights().embedTokens()).isSameAs(v1Embedding);
        assertServes(replica.registry.current().model(), v3);
    }
}
