package dev.gspo.common.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * ({@code name -> {dtype, shape, data_offsets}}), then the raw little-endian tensor bytes.
 *
 * <p>Written here rather than through {@code NDList.decode}: DJL crashes the JVM on BF16 arrays (most HF checkpoints
 * are BF16) and its errors do not name the tensor. This reader validates every offset against the buffer before
 * touching data, so a truncated or hostile body is an {@link InvalidModelException}, never a crash, and widens
 * F16/BF16/F64 to float32 in Java.
 */
public final class Safetensors {
    /** Largest header accepted (the format's own limit is 100 MB; ours is smaller because headers are tiny). */
    private static final long MAX_HEADER_BYTES = 16L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Safetensors() {
    }

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
        if (bytes.length < 8) {
            throw new InvalidModelException("safetensors: " + bytes.length + " bytes is shorter than the 8-byte header length");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = buf.getLong(0);
        if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || headerLen > bytes.length - 8L) {
            throw new InvalidModelException("safetensors: header length " + headerLen
                    + " does not fit in a body of " + bytes.length + " bytes (truncated?)");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new InvalidModelException("safetensors: header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new InvalidModelException("safetensors: header is not a JSON object");
        }
        int dataStart = 8 + (int) headerLen;
        long dataLen = bytes.length - (long) dataStart;
        Map<String, Tensor> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = header.fields();
        long covered = 0;
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            out.put(e.getKey(), readTensor(e.getKey(), e.getValue(), buf, dataStart, dataLen));
            covered += e.getValue().get("data_offsets").get(1).asLong() - e.getValue().get("data_offsets").get(0).asLong();
        }
        if (covered != dataLen) {
            throw new InvalidModelException("safetensors: tensors cover " + covered + " bytes but the body has "
                    + dataLen + " (truncated, padded or overlapping)");
        }
        return out;
    }

    private static Tensor readTensor(String name, JsonNode t, ByteBuffer buf, int dataStart, long dataLen) {
        JsonNode dtypeNode = t.get("dtype");
        JsonNode shapeNode = t.get("shape");
        JsonNode offsets = t.get("data_offsets");
        if (dtypeNode == null || shapeNode == null || !shapeNode.isArray() || offsets == null
                || !offsets.isArray() || offsets.size() != 2) {
            throw new InvalidModelException("safetensors: tensor '" + name + "' lacks dtype, shape or data_offsets");
        }
        String dtype = dtypeNode.asText();
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0) {
                throw new InvalidModelException("safetensors: tensor '" + name + "' has a negative dimension");
            }
            count = Math.multiplyExact(count, shape[i]);
        }
        int width = switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            case "F64" -> 8;
            default -> throw new InvalidModelException("safetensors: tensor '" + name + "' has dtype " + dtype
                    + "; only F32, F16, BF16 and F64 are read");
        };
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataLen) {
            throw new InvalidModelException("safetensors: tensor '" + name + "' data_offsets [" + begin + ", " + end
                    + "] fall outside the " + dataLen + "-byte body (truncated?)");
        }
        if (end - begin != count * width) {
            throw new InvalidModelException("safetensors: tensor '" + name + "' holds " + (end - begin)
                    + " bytes but shape and dtype need " + count * width);
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw new InvalidModelException("safetensors: tensor '" + name + "' is too large: " + count + " elements");
        }
        float[] data = new float[(int) count];
        int base = dataStart + (int) begin;
        for (int i = 0; i < data.length; i++) {
            data[i] = switch (width) {
                case 4 -> buf.getFloat(base + 4 * i);
                case 8 -> (float) buf.getDouble(base + 8 * i);
                default -> dtype.equals("BF16")
                        ? Float.intBitsToFloat((buf.getShort(base + 2 * i) & 0xffff) << 16)
                        : Float.float16ToFloat(buf.getShort(base + 2 * i));
            };
        }
        return new Tensor(name, dtype, shape, data);
    }

    /** Serialises float32 tensors in the given order, with optional string metadata. */
    public static void write(OutputStream out, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            ObjectNode e = header.putObject(t.name());
            e.put("dtype", "F32");
            var shape = e.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long size = 4L * t.data().length;
            e.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // the reference writer pads the header to 8 bytes with spaces
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
        out.write(len.array());
        out.write(json);
        out.write(" ".repeat(padded - json.length).getBytes(StandardCharsets.US_ASCII));
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
