package dev.gspo.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PolicyWeights#fromSafetensors} checks every value for finiteness while it copies the buffer into native
 * storage: a non-finite value is named by tensor and flat index (the first in the buffer's order), nothing is built,
 * new storage is freed and a retired version's storage is handed back whole; every finite value, subnormals and -0
 * included, arrives bit for bit.
 */
class FiniteFillTest {
    private static final ModelConfig QWEN2 = TestModels.config("qwen2", 4, 2, false);
    private static final float[] NON_FINITE = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    NDManager manager;
    /** What the weights under test are built on: empty again after every rejected fill. */
    NDManager parent;

    byte[] good;
    List<SafetensorsView.Entry> entries;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        parent = manager.newSubManager();
        try (PolicyModel model = TestModels.random(manager, QWEN2, 11)) {
            good = model.weightsAsSafetensors();
        }
        entries = List.copyOf(SafetensorsView.of(good).entries().values());
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void aNonFiniteValueIsNamedByItsTensorAndFlatIndex() {
        List<SafetensorsView.Entry> where =
                List.of(entries.getFirst(), entries.get(entries.size() / 2), entries.getLast());
        for (SafetensorsView.Entry t : where) {
            int n = t.elementCount();
            for (int index : new int[] {0, n / 2, n - 1}) {
                for (float bad : NON_FINITE) {
                    byte[] body = poisoned(good, t.name(), index, bad);

                    assertThatThrownBy(() -> PolicyWeights.fromSafetensors(QWEN2, SafetensorsView.of(body), parent))
                            .isInstanceOfSatisfying(NonFiniteWeightsException.class, e -> {
                                assertThat(e)
                                        .hasMessage("tensor " + t.name() + " holds a non-finite value (" + bad
                                                + ") at flat index " + index);
                                assertThat(e.tensor()).isEqualTo(t.name());
                                assertThat(e.index()).isEqualTo(index);
                                assertThat(e.takeRetired()).isNull();
                            });
                    assertThat(parent.getManagedArrays())
                            .as("storage of a rejected fill")
                            .isEmpty();
                }
            }
        }
    }

    @Test
    void theFirstNonFiniteValueInTheBuffersOrderIsNamed() {
        SafetensorsView.Entry early = entries.get(1);
        SafetensorsView.Entry late = entries.get(entries.size() - 2);
        byte[] body = poisoned(good, late.name(), 0, Float.NaN);
        body = poisoned(body, early.name(), early.elementCount() - 1, Float.POSITIVE_INFINITY);
        body = poisoned(body, early.name(), early.elementCount() - 2, Float.NEGATIVE_INFINITY);

        assertRefused(
                body,
                "tensor " + early.name() + " holds a non-finite value (-Infinity) at flat index "
                        + (early.elementCount() - 2));

        // the same tensors in the reverse order in the buffer: the other one comes first
        List<Safetensors.Tensor> reversed =
                new ArrayList<>(Safetensors.read(body).values());
        java.util.Collections.reverse(reversed);
        assertRefused(
                Safetensors.toBytes(reversed, Map.of()),
                "tensor " + late.name() + " holds a non-finite value (NaN) at flat index 0");
    }

    @Test
    void aNonFiniteValueInATensorTheModelIgnoresIsRefusedToo() {
        String invFreq = "model.layers.0.self_attn.rotary_emb.inv_freq";
        List<Safetensors.Tensor> tensors = new ArrayList<>();
        tensors.add(Safetensors.Tensor.f32(invFreq, new long[] {3}, new float[] {1, 0.5f, Float.NaN}));
        tensors.addAll(Safetensors.read(poisoned(good, entries.getFirst().name(), 0, Float.NaN))
                .values());

        assertRefused(
                Safetensors.toBytes(tensors, Map.of()),
                "tensor " + invFreq + " holds a non-finite value (NaN) at" + " flat index 2");
    }

    @Test
    void subnormalsSignedZerosAndExtremesAreCopiedBitForBit() {
        byte[] body = withEdgeValues(good);

        try (PolicyWeights fresh = PolicyWeights.fromSafetensors(QWEN2, SafetensorsView.of(body), parent)) {
            assertHoldsBitForBit(fresh, body);
            // and into the storage of a retired set
            byte[] again = withEdgeValues(poisoned(good, entries.getLast().name(), 1, 1.25f));
            try (PolicyWeights refilled =
                    PolicyWeights.fromSafetensors(QWEN2, SafetensorsView.of(again), parent, fresh)) {
                assertThat(refilled.embedTokens()).isSameAs(fresh.embedTokens());
                assertHoldsBitForBit(refilled, again);
            }
        }
    }

    @Test
    void aNonFiniteValueHandsTheRetiredStorageBackWholeAndRefillable() {
        PolicyWeights retired = PolicyWeights.fromSafetensors(QWEN2, SafetensorsView.of(good), parent);
        NDArray embedding = retired.embedTokens();
        SafetensorsView.Entry last = entries.getLast();
        byte[] bad = poisoned(good, last.name(), last.elementCount() - 1, Float.NaN);

        List<PolicyWeights> handedBack = new ArrayList<>();
        assertThatThrownBy(() -> PolicyWeights.fromSafetensors(QWEN2, SafetensorsView.of(bad), parent, retired))
                .isInstanceOfSatisfying(NonFiniteWeightsException.class, e -> {
                    handedBack.add(e.takeRetired());
                    assertThat(e.takeRetired()).as("handed over once").isNull();
                });

        PolicyWeights back = handedBack.getFirst();
        assertThat(back).isSameAs(retired);
        assertThat(back.manager().isOpen()).isTrue();
        assertThat(back.parameters()).noneMatch(NDArray::isReleased);
        byte[] next = poisoned(good, last.name(), 0, 3.5f);
        try (PolicyWeights refilled = PolicyWeights.fromSafetensors(QWEN2, SafetensorsView.of(next), parent, back)) {
            assertThat(refilled.embedTokens()).isSameAs(embedding);
            assertHoldsBitForBit(refilled, next);
        }
        assertThat(parent.getManagedArrays()).isEmpty();
    }

    private void assertRefused(byte[] body, String message) {
        assertThatThrownBy(() -> PolicyWeights.fromSafetensors(QWEN2, SafetensorsView.of(body), parent))
                .isInstanceOf(NonFiniteWeightsException.class)
                .hasMessage(message);
        assertThat(parent.getManagedArrays()).isEmpty();
    }

    /** Every weight's bits are the buffer's little-endian words. */
    private static void assertHoldsBitForBit(PolicyWeights weights, byte[] body) {
        SafetensorsView view = SafetensorsView.of(body);
        ByteBuffer le = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        weights.byName().forEach((name, array) -> {
            SafetensorsView.Entry t = view.entries().get(name);
            float[] held = array.toFloatArray();
            int[] heldBits = new int[held.length];
            int[] bodyBits = new int[t.elementCount()];
            for (int i = 0; i < bodyBits.length; i++) {
                heldBits[i] = Float.floatToRawIntBits(held[i]);
                bodyBits[i] = le.getInt(t.offset() + 4 * i);
            }
            assertThat(heldBits).as(name).containsExactly(bodyBits);
        });
    }

    /** {@code body} with subnormals, ±0 and ±MAX_VALUE written over the first values of every tensor. */
    private static byte[] withEdgeValues(byte[] body) {
        float[] edges = {
            Float.MIN_VALUE,
            -Float.MIN_VALUE,
            Float.intBitsToFloat(0x007fffff), // the largest subnormal
            Float.intBitsToFloat(0x00012345),
            -0.0f,
            0.0f,
            Float.MIN_NORMAL,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
        };
        byte[] out = body;
        for (SafetensorsView.Entry t : SafetensorsView.of(body).entries().values()) {
            for (int i = 0; i < Math.min(edges.length, t.elementCount()); i++) {
                out = poisoned(out, t.name(), i, edges[i]);
            }
            out = poisoned(out, t.name(), t.elementCount() - 1, -0.0f);
        }
        return out;
    }

    /** A copy of {@code body} with {@code value} at flat index {@code index} of tensor {@code name}. */
    static byte[] poisoned(byte[] body, String name, int index, float value) {
        byte[] out = body.clone();
        SafetensorsView.Entry t = SafetensorsView.of(out).entries().get(name);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putFloat(t.offset() + 4 * index, value);
        return out;
    }
}
