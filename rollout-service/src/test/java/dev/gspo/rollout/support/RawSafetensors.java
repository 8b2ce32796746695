package dev.gspo.rollout.support;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.common.model.Safetensors;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/** Writes safetensors with chosen tensors stored as F16, which the project's writer never produces. */
public final class RawSafetensors {
    private RawSafetensors() {}

    public static byte[] withF16(List<Safetensors.Tensor> tensors, Set<String> f16) {
        ObjectNode header = TestClient.JSON.createObjectNode();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Safetensors.Tensor t : tensors) {
            boolean half = f16.contains(t.name());
            ByteBuffer buf =
                    ByteBuffer.allocate(t.data().length * (half ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : t.data()) {
                if (half) {
                    buf.putShort(Float.floatToFloat16(f));
                } else {
                    buf.putFloat(f);
                }
            }
            ObjectNode e = header.putObject(t.name());
            e.put("dtype", half ? "F16" : "F32");
            var shape = e.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            e.putArray("data_offsets").add(data.size()).add(data.size() + buf.capacity());
            data.writeBytes(buf.array());
        }
        byte[] json = TestClient.write(header).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0, json.length)
                .array());
        out.writeBytes(json);
        out.writeBytes(data.toByteArray());
        return out.toByteArray();
    }
}
