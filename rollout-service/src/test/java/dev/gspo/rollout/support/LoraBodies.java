package dev.gspo.rollout.support;

import dev.gspo.common.lora.PeftAdapter;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.model.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * LoRA adapters for push tests, written without the replica's code paths: random A and B, the push body under PEFT's
 * names with the config in the metadata, and the merged weights W + (α/r)·B A in plain Java (an oracle's input).
 */
public final class LoraBodies {
    private LoraBodies() {}

    /** Random A and B (B ≠ 0), keyed by internal names. */
    public static Map<String, Safetensors.Tensor> adapter(ModelConfig config, LoraConfig lora, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
        for (TensorSpec spec : LoraWeights.specs(config, lora)) {
            float[] d = new float[Math.toIntExact(spec.elementCount())];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (0.2 * rng.nextGaussian());
            }
            out.put(spec.name(), Safetensors.Tensor.f32(spec.name(), spec.shape(), d));
        }
        return out;
    }

    /** The push body: safetensors under PEFT's names, the LoRA config in {@code __metadata__}. */
    public static byte[] body(LoraConfig lora, Map<String, Safetensors.Tensor> adapter) {
        Map<String, String> metadata = Map.of(
                "format", "pt",
                "peft_type", "LORA",
                "r", Integer.toString(lora.rank()),
                "lora_alpha", Double.toString(lora.alpha()),
                "target_modules", String.join(",", lora.targets()));
        List<Safetensors.Tensor> peft = new ArrayList<>();
        adapter.values()
                .forEach(t -> peft.add(Safetensors.Tensor.f32(PeftAdapter.peftName(t.name()), t.shape(), t.data())));
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Safetensors.write(out, peft, metadata);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** W + (α/r)·B A in plain Java (double sums), from the pusher's floats. */
    public static List<Safetensors.Tensor> merged(
            List<Safetensors.Tensor> base, LoraConfig lora, Map<String, Safetensors.Tensor> adapter) {
        double scale = lora.scale();
        List<Safetensors.Tensor> out = new ArrayList<>();
        for (Safetensors.Tensor w : base) {
            String module = w.name().endsWith(".weight")
                    ? w.name().substring(0, w.name().length() - ".weight".length())
                    : w.name();
            Safetensors.Tensor a = adapter.get(module + LoraWeights.A_SUFFIX);
            if (a == null) {
                out.add(w);
                continue;
            }
            Safetensors.Tensor b = adapter.get(module + LoraWeights.B_SUFFIX);
            int outDim = (int) w.shape()[0];
            int in = (int) w.shape()[1];
            int r = (int) a.shape()[0];
            float[] d = w.data().clone();
            for (int o = 0; o < outDim; o++) {
                for (int i = 0; i < in; i++) {
                    double sum = 0;
                    for (int k = 0; k < r; k++) {
                        sum += (double) b.data()[o * r + k] * a.data()[k * in + i];
                    }
                    d[o * in + i] = (float) (d[o * in + i] + scale * sum);
                }
            }
            out.add(Safetensors.Tensor.f32(w.name(), w.shape(), d));
        }
        return out;
    }
}
