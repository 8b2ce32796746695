package dev.gspo.common.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * ({@code name -> {dtype, shape, data_offsets}}), then the raw little-endian tensor bytes. The header is parsed and
 * checked by {@link SafetensorsView}; this class decodes whole files into float arrays and writes them.
 *
 * <p>Written here rather than through {@code NDList.decode}: DJL crashes the JVM on BF16 arrays (most HF checkpoints
 * are BF16) and its errors do not name the tensor. This reader validates every offset against the buffer before
 * touching data, so a truncated or hostile body is an {@link InvalidModelException}, never a crash, and widens
 * F16/BF16/F64 to float32 in Java.
 */
public final class Safetensors {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Safetensors() {}

    /** One tensor, widened to float32. {@code dtype} is the type it was stored as. */
    public record Tensor(String name, String dtype, long[] shape, float[] data) {
        public static Tensor f32(String name, long[] shape, float[] data) {
            return new Tensor(name, "F32", shape, data);
        }
    }

    public static Map<String, Tensor> read(Path file) {
        try {
            return read(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new InvalidModelException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a whole safetensors buffer; tensors keep the header's order. */
    public static Map<String, Tensor> read(byte[] bytes) {
        SafetensorsView view = SafetensorsView.of(bytes);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (SafetensorsView.Entry e : view.entries().values()) {
            out.put(e.name(), new Tensor(e.name(), e.dtype(), e.shape(), floats(view, e)));
        }
        return out;
    }

    /** The tensor's values widened to float32: F32 in one bulk copy, the narrower and wider types element by element. */
    private static float[] floats(SafetensorsView view, SafetensorsView.Entry e) {
        float[] data = new float[e.elementCount()];
        switch (e.dtype()) {
            case "F32" -> view.f32(e.name()).get(data);
            case "F64" -> {
                var src = view.bytes(e.name(), "F64").asDoubleBuffer();
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) src.get(i);
                }
            }
            case "BF16" -> {
                var src = view.bytes(e.name(), "BF16").asShortBuffer();
                for (int i = 0; i < data.length; i++) {
                    data[i] = Float.intBitsToFloat((src.get(i) & 0xffff) << 16);
                }
            }
            default -> {
                var src = view.bytes(e.name(), "F16").asShortBuffer();
                for (int i = 0; i < data.length; i++) {
                    data[i] = Float.float16ToFloat(src.get(i));
                }
            }
        }
        return data;
    }

    /**
     * Serialises float32 tensors in the given order, with optional string metadata.
     *
     * @throws IllegalArgumentException if a tensor's value count does not match its shape (the header would lie)
     */
    public static void write(OutputStream out, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Tensor t : tensors) {
            if (new TensorSpec(t.name(), t.shape()).elementCount() != t.data().length) {
                throw new IllegalArgumentException("tensor " + t.name() + " has " + t.data().length
                        + " values for shape " + Arrays.toString(t.shape()));
            }
            shapes.put(t.name(), t.shape());
        }
        out.write(header(shapes, metadata));
        ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : tensors) {
            for (float f : t.data()) {
                if (!chunk.hasRemaining()) {
                    out.write(chunk.array(), 0, chunk.position());
                    chunk.clear();
                }
                chunk.putFloat(f);
            }
        }
        out.write(chunk.array(), 0, chunk.position());
    }

    /**
     * The bytes before the data of a float32 file holding {@code shapes} in this order, data packed without gaps: the
     * 8-byte little-endian header length, then the JSON header padded with spaces to a multiple of 8 (as the reference
     * writer does).
     */
    public static byte[] header(Map<String, long[]> shapes, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, long[]> t : shapes.entrySet()) {
            ObjectNode e = header.putObject(t.getKey());
            e.put("dtype", "F32");
            var shape = e.putArray("shape");
            long count = 1;
            for (long d : t.getValue()) {
                shape.add(d);
                count *= d;
            }
            long size = 4L * count;
            e.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(padded)
                .put(json);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.array();
    }

    public static byte[] toBytes(List<Tensor> tensors, Map<String, String> metadata) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            write(bytes, tensors, metadata);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static List<Tensor> listOf(Map<String, Tensor> tensors) {
        return new ArrayList<>(tensors.values());
    }
}
