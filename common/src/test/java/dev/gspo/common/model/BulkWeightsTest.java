package dev.gspo.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bulk paths a weight push takes ({@link PolicyWeights#toSafetensors}, {@link SafetensorsView},
 * {@link PolicyWeights#fromSafetensors}) held to the float-by-float control ({@link Safetensors#toBytes},
 * {@link Safetensors#read}, {@link PolicyWeights#fromTensors}). Values are random with distinct bytes, so a wrong byte
 * order or an off-by-one offset changes them.
 */
class BulkWeightsTest {
    private static final ModelConfig QWEN2 = TestModels.config("qwen2", 4, 2, false);

    @Test
    void publishedBytesAreTheFloatByFloatWritersBytes() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, QWEN2, 3)) {
            byte[] control = Safetensors.toBytes(model.weights().toTensors(), Map.of("format", "pt"));

            assertThat(model.weightsAsSafetensors()).isEqualTo(control);
        }
    }

    @Test
    void viewReadsLittleEndianValuesInPlace() {
        List<Safetensors.Tensor> tensors = List.of(
                Safetensors.Tensor.f32("a", new long[] {2, 2}, new float[] {1.5f, -2.25f, Float.MIN_VALUE, 3e38f}),
                Safetensors.Tensor.f32("b", new long[] {3}, new float[] {7, 8, -0f}));
        byte[] bytes = Safetensors.toBytes(tensors, Map.of());

        SafetensorsView view = SafetensorsView.of(bytes);

        assertThat(view.entries().keySet()).containsExactly("a", "b");
        assertThat(view.shapes().get("a")).containsExactly(2, 2);
        for (Safetensors.Tensor t : tensors) {
            FloatBuffer f = view.f32(t.name());
            float[] values = new float[f.remaining()];
            f.get(values);
            assertThat(values).containsExactly(t.data());
        }
        int last = view.entries().get("b").offset() + 4;
        assertThat(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getFloat(last))
                .isEqualTo(8f);
    }

    @Test
    void weightsBuiltFromTheBufferEqualTheDecodedOnes() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, QWEN2, 5)) {
            byte[] bytes = model.weightsAsSafetensors();
            // the staging buffer is reused from tensor to tensor: a weight still pointing into it would show the
            // values of a later tensor
            try (PolicyWeights control = PolicyWeights.fromTensors(QWEN2, Safetensors.read(bytes), manager);
                    PolicyWeights bulk = PolicyWeights.fromSafetensors(QWEN2, SafetensorsView.of(bytes), manager)) {
                assertThat(bulk.byName().keySet())
                        .containsExactlyElementsOf(control.byName().keySet());
                control.byName().forEach((name, a) -> {
                    assertThat(bulk.get(name).getShape()).as(name).isEqualTo(a.getShape());
                    assertThat(bulk.get(name).toFloatArray()).as(name).containsExactly(a.toFloatArray());
                });
            }
        }
    }

    @Test
    void refusesWeightsThatAreNotF32() {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, QWEN2, 9)) {
            model.weights().toTensors().forEach(t -> tensors.put(t.name(), t));
            byte[] f64 = withF64(tensors, "model.norm.weight");

            assertThatThrownBy(() -> PolicyWeights.fromSafetensors(QWEN2, SafetensorsView.of(f64), manager))
                    .isInstanceOf(InvalidModelException.class)
                    .hasMessageContaining("model.norm.weight")
                    .hasMessageContaining("F64");
        }
    }

    /** The tensors as a file in which {@code wide} is stored as F64 (same values, twice the bytes). */
    private static byte[] withF64(Map<String, Safetensors.Tensor> tensors, String wide) {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (Safetensors.Tensor t : tensors.values()) {
            int width = t.name().equals(wide) ? 8 : 4;
            long size = (long) width * t.data().length;
            header.append(header.length() > 1 ? "," : "")
                    .append('"')
                    .append(t.name())
                    .append("\":{\"dtype\":\"")
                    .append(width == 8 ? "F64" : "F32")
                    .append("\",\"shape\":")
                    .append(java.util.Arrays.toString(t.shape()))
                    .append(",\"data_offsets\":[")
                    .append(offset)
                    .append(',')
                    .append(offset + size)
                    .append("]}");
            offset += size;
        }
        byte[] h = header.append('}').toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer out =
                ByteBuffer.allocate(Math.toIntExact(8 + h.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h);
        for (Safetensors.Tensor t : tensors.values()) {
            for (float f : t.data()) {
                if (t.name().equals(wide)) {
                    out.putDouble(f);
                } else {
                    out.putFloat(f);
                }
            }
        }
        return out.array();
    }
}
