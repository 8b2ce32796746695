package dev.gspo.rollout.support;

import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.model.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/** Weight sets for pushes: random but sharper than the built-in init (std 0.1, norms near 1), so different versions clearly disagree. */
public final class WeightSets {
    private WeightSets() {}

    public static List<Safetensors.Tensor> random(ModelConfig config, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Safetensors.Tensor> out = new ArrayList<>();
        for (TensorSpec spec : config.architecture().tensors(config)) {
            float[] d = new float[Math.toIntExact(spec.elementCount())];
            boolean norm = spec.name().endsWith("norm.weight");
            for (int i = 0; i < d.length; i++) {
                d[i] = norm ? (float) (1 + 0.1 * rng.nextGaussian()) : (float) (0.1 * rng.nextGaussian());
            }
            out.add(Safetensors.Tensor.f32(spec.name(), spec.shape(), d));
        }
        return out;
    }

    public static byte[] bytes(List<Safetensors.Tensor> tensors) {
        return Safetensors.toBytes(tensors, Map.of("format", "pt"));
    }

    public static byte[] randomBytes(ModelConfig config, long seed) {
        return bytes(random(config, seed));
    }

    /** The same set with one tensor replaced. */
    public static List<Safetensors.Tensor> with(
            List<Safetensors.Tensor> tensors, String name, UnaryOperator<Safetensors.Tensor> change) {
        return tensors.stream()
                .map(t -> t.name().equals(name) ? change.apply(t) : t)
                .toList();
    }
}
