package dev.gspo.common.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.json.JsonPosition;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A safetensors buffer whose header has been parsed and every offset checked against the buffer, with the tensor data
 * left where it is. F32 data is read through little-endian {@link FloatBuffer} views, or straight from {@link
 * #buffer()} at each entry's offset: no per-element decoding and no copy, which is what lets a replica check and load
 * a pushed 100 MB weight set in one pass over it ({@link PolicyWeights#fromSafetensors}).
 *
 * <p>A truncated or hostile buffer is an {@link InvalidModelException} here, before any tensor data is touched.
 */
public final class SafetensorsView {
    /** Largest header accepted (the format's own limit is 100 MB; ours is smaller because headers are tiny). */
    private static final long MAX_HEADER_BYTES = 16L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One tensor's place in the buffer.
     *
     * @param offset absolute byte offset of its data in the buffer; {@code length} its size in bytes
     */
    public record Entry(String name, String dtype, long[] shape, int offset, int length) {
        public int elementCount() {
            return length / width(dtype);
        }
    }

    private final byte[] bytes;
    private final Map<String, Entry> entries;

    private final Map<String, String> metadata;

    private SafetensorsView(byte[] bytes, Map<String, Entry> entries, Map<String, String> metadata) {
        this.bytes = bytes;
        this.entries = Collections.unmodifiableMap(entries);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** Parses and checks the header of a whole safetensors buffer; entries keep the header's order. */
    public static SafetensorsView of(byte[] bytes) {
        if (bytes.length < 8) {
            throw new InvalidModelException(
                    "safetensors: " + bytes.length + " bytes is shorter than the 8-byte header length");
        }
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || headerLen > bytes.length - 8L) {
            // not the value: out of range, it is 8 bytes of whatever the file holds (text, a key), readable as a number
            throw new InvalidModelException("safetensors: the header length (the first 8 bytes) does not fit in a "
                    + "body of " + bytes.length + " bytes (truncated, or not a safetensors file?)");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new InvalidModelException("safetensors: header is not valid JSON" + JsonPosition.of(e), e);
        }
        if (header == null || !header.isObject()) {
            throw new InvalidModelException("safetensors: header is not a JSON object");
        }
        int dataStart = 8 + (int) headerLen;
        long dataLen = bytes.length - (long) dataStart;
        Map<String, Entry> out = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = header.fields();
        long covered = 0;
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                e.getValue().fields().forEachRemaining(m -> {
                    if (m.getValue().isTextual()) { // the format's metadata is string to string
                        metadata.put(m.getKey(), m.getValue().asText());
                    }
                });
                continue;
            }
            Entry entry = entry(e.getKey(), e.getValue(), dataStart, dataLen);
            out.put(e.getKey(), entry);
            covered += entry.length();
        }
        if (covered != dataLen) {
            throw new InvalidModelException("safetensors: tensors cover " + covered + " bytes but the body has "
                    + dataLen + " (truncated, padded or overlapping)");
        }
        return new SafetensorsView(bytes, out, metadata);
    }

    private static Entry entry(String name, JsonNode t, int dataStart, long dataLen) {
        JsonNode dtypeNode = t.get("dtype");
        JsonNode shapeNode = t.get("shape");
        JsonNode offsets = t.get("data_offsets");
        if (dtypeNode == null
                || shapeNode == null
                || !shapeNode.isArray()
                || offsets == null
                || !offsets.isArray()
                || offsets.size() != 2) {
            throw new InvalidModelException("safetensors: tensor '" + name + "' lacks dtype, shape or data_offsets");
        }
        String dtype = dtypeNode.asText();
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = exactLong(name, "shape", shapeNode.get(i));
            if (shape[i] < 0) {
                throw new InvalidModelException("safetensors: tensor '" + name + "' has a negative dimension");
            }
        }
        int width =
                switch (dtype) {
                    case "F32", "F16", "BF16", "F64" -> width(dtype);
                    default ->
                        throw new InvalidModelException("safetensors: tensor '" + name + "' has dtype " + dtype
                                + "; only F32, F16, BF16 and F64 are read");
                };
        long begin = exactLong(name, "data_offsets", offsets.get(0));
        long end = exactLong(name, "data_offsets", offsets.get(1));
        if (begin < 0 || end < begin || end > dataLen) {
            throw new InvalidModelException("safetensors: tensor '" + name + "' data_offsets [" + begin + ", " + end
                    + "] fall outside the " + dataLen + "-byte body (truncated?)");
        }
        long count = elementCount(name, shape);
        if (count > Integer.MAX_VALUE - 8) {
            throw new InvalidModelException("safetensors: tensor '" + name + "' is too large: " + count + " elements");
        }
        // count < 2^31 and width ≤ 8: the product fits in a long
        if (end - begin != count * width) {
            throw new InvalidModelException("safetensors: tensor '" + name + "' holds " + (end - begin)
                    + " bytes but shape and dtype need " + count * width);
        }
        // end ≤ dataLen and the whole buffer is one byte[], so both fit in an int
        return new Entry(name, dtype, shape, dataStart + (int) begin, (int) (end - begin));
    }

    /**
     * The product of the dimensions. A hostile header can declare dimensions whose product overflows a long (e.g.
     * {@code [2^40, 2^40]}): that is a malformed file, not an arithmetic fault of the reader.
     */
    private static long elementCount(String name, long[] shape) {
        long count = 1;
        try {
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
        } catch (ArithmeticException e) {
            throw new InvalidModelException("safetensors: tensor '" + name + "' is too large: shape "
                    + Arrays.toString(shape) + " has more than " + Long.MAX_VALUE + " elements");
        }
        return count;
    }

    /** A header number that must be an integer a long holds exactly (not 1.5, not 2^64 + 1, not "1"). */
    private static long exactLong(String name, String field, JsonNode n) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new InvalidModelException("safetensors: tensor '" + name + "' has a " + field + " entry that is not"
                    + " an integer in [0, " + Long.MAX_VALUE + "]: " + (n == null ? "missing" : abbreviate(n)));
        }
        return n.longValue();
    }

    private static String abbreviate(JsonNode n) {
        String s = n.toString();
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static int width(String dtype) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            case "F64" -> 8;
            default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
        };
    }

    /** The header's {@code __metadata__} (its string values); empty when it has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Name → entry, in the header's order ({@code __metadata__} left out). */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** Name → shape, for {@link PolicyWeights#validateShapes}. */
    public Map<String, long[]> shapes() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        entries.forEach((name, e) -> shapes.put(name, e.shape()));
        return shapes;
    }

    /** A read-only little-endian view of an F32 tensor's data (element i = the tensor's flat index i). */
    public FloatBuffer f32(String name) {
        return bytes(name, "F32").asFloatBuffer();
    }

    /** A read-only little-endian view of a tensor's raw bytes, for the dtypes that need widening. */
    ByteBuffer bytes(String name, String expectedDtype) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no tensor named " + name);
        }
        if (!e.dtype().equals(expectedDtype)) {
            throw new IllegalArgumentException("tensor " + name + " is " + e.dtype() + ", not " + expectedDtype);
        }
        return ByteBuffer.wrap(bytes, e.offset(), e.length())
                .slice()
                .asReadOnlyBuffer()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The buffer this view reads (shared, not copied). */
    public byte[] buffer() {
        return bytes;
    }
}
