package dev.gspo.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SafetensorsTest {
    private static final List<Safetensors.Tensor> TENSORS = List.of(
            Safetensors.Tensor.f32("a.weight", new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, Float.MIN_VALUE, 7}),
            Safetensors.Tensor.f32("b", new long[] {1}, new float[] {42}));

    @Test
    void roundTripsNamesShapesAndValuesWithAPaddedHeader() {
        byte[] bytes = Safetensors.toBytes(TENSORS, Map.of("format", "pt"));
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertThat(headerLen % 8).isZero();
        Map<String, Safetensors.Tensor> back = Safetensors.read(bytes);
        assertThat(back.keySet()).containsExactly("a.weight", "b");
        assertThat(back.get("a.weight").shape()).containsExactly(2, 3);
        assertThat(back.get("a.weight").data()).containsExactly(TENSORS.get(0).data());
        assertThat(back.get("b").dtype()).isEqualTo("F32");
    }

    @Test
    void truncatedBodyIsRefusedWithAClearMessage() {
        byte[] bytes = Safetensors.toBytes(TENSORS, Map.of());
        assertThatThrownBy(() -> Safetensors.read(Arrays.copyOf(bytes, bytes.length - 3)))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> Safetensors.read(Arrays.copyOf(bytes, 5)))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("shorter than the 8-byte");
        assertThatThrownBy(() -> Safetensors.read(Arrays.copyOf(bytes, 20)))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("header length");
    }

    @Test
    void readsBf16AndF16ByWideningToFloat32() {
        String header = "{\"x\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"y\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[4,6]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 6).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        buf.putShort((short) (Float.floatToIntBits(1.5f) >>> 16)).putShort((short) (Float.floatToIntBits(-3f) >>> 16));
        buf.putShort(Float.floatToFloat16(0.25f));
        Map<String, Safetensors.Tensor> t = Safetensors.read(buf.array());
        assertThat(t.get("x").data()).containsExactly(1.5f, -3f);
        assertThat(t.get("x").dtype()).isEqualTo("BF16");
        assertThat(t.get("y").data()).containsExactly(0.25f);
    }

    @Test
    void offsetsThatDisagreeWithTheShapeAreRefused() {
        String header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        assertThatThrownBy(() -> Safetensors.read(buf.array())).hasMessageContaining("'x' holds 8 bytes but shape");
    }

    @Test
    void garbageHeaderIsRefused() {
        assertThatThrownBy(() -> Safetensors.read(file("not json", 0))).hasMessageContaining("not valid JSON");
    }

    /** A hostile header must be an InvalidModelException (a 400 on a push), never an ArithmeticException (a 500). */
    @Test
    void shapesWhoseSizeOverflowsALongAreRefused() {
        String twoTo40 = Long.toString(1L << 40);
        for (String shape : List.of(
                "[" + twoTo40 + "," + twoTo40 + "]", // elements overflow
                "[" + (1L << 62) + "]", // elements fit, bytes (× 4) overflow
                "[" + Long.MAX_VALUE + "," + Long.MAX_VALUE + "]")) {
            byte[] bytes = file("{\"x\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,4]}}", 4);
            assertThatThrownBy(() -> SafetensorsView.of(bytes))
                    .as(shape)
                    .isInstanceOf(InvalidModelException.class)
                    .hasMessageContaining("'x'")
                    .hasMessageContaining("too large");
        }
    }

    @Test
    void dimensionsAndOffsetsThatAreNotExactIntegersAreRefused() {
        for (String entry : List.of(
                "\"shape\":[1.5],\"data_offsets\":[0,4]",
                "\"shape\":[18446744073709551617],\"data_offsets\":[0,4]", // 2^64 + 1 would wrap to 1
                "\"shape\":[\"1\"],\"data_offsets\":[0,4]",
                "\"shape\":[1],\"data_offsets\":[0,4.0]",
                "\"shape\":[1],\"data_offsets\":[18446744073709551616,4]")) {
            byte[] bytes = file("{\"x\":{\"dtype\":\"F32\"," + entry + "}}", 4);
            assertThatThrownBy(() -> SafetensorsView.of(bytes))
                    .as(entry)
                    .isInstanceOf(InvalidModelException.class)
                    .hasMessageContaining("'x'");
        }
    }

    /** A safetensors buffer with this header text and {@code dataBytes} zero bytes of data. */
    private static byte[] file(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length)
                .put(h)
                .array();
    }

    /** A text file read as weights: neither its first 8 bytes (as the header length) nor its text come back. */
    @Test
    void aFileThatIsNotSafetensorsIsNeverQuotedInTheError() {
        String text = "root:$y$j9T$Qm7Rt2Kd9Xw4Ls1VaB3cD$Hc5Np8Fj3Gz6Bt0YkL2mN4pQ6rS8tU0vW:19700:0:99999:7:::\n";
        long firstEight = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8))
                .order(ByteOrder.LITTLE_ENDIAN)
                .getLong(0);
        assertThatThrownBy(() -> Safetensors.read(text.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("header length")
                .hasMessageNotContaining(Long.toString(firstEight))
                .hasMessageNotContaining("root");
        byte[] h = "Qm7Rt2Kd9Xw4Ls1V".getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        assertThatThrownBy(() -> Safetensors.read(buf.array()))
                .hasMessageContaining("not valid JSON (line 1, column ")
                .hasMessageNotContaining("Qm7Rt2Kd");
    }
}
