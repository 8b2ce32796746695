package dev.gspo.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The float32 A and B matrices of one LoRA adapter ({@link LoraConfig}) over a model, owned by a manager of their own,
 * keyed by {@code <module path>.lora_A.weight} / {@code .lora_B.weight} (e.g.
 * {@code model.layers.0.self_attn.q_proj.lora_A.weight}; PEFT's file adds the prefix {@code base_model.model.}).
 *
 * <pre>
 *   delta(x) = (α / r) · (x Aᵀ) Bᵀ        x [..., in] → [..., out];  A [r, in];  B [out, r]
 *   merged W' = W + (α / r) · B A          [out, in]
 * </pre>
 *
 * In the sparse layers of a MoE model the MLP targets are not adapted (the experts run unadapted; attention is).
 */
public final class LoraWeights implements AutoCloseable {
    /** One adapted layer's matrices. */
    public record Pair(NDArray a, NDArray b) {}

    public static final String A_SUFFIX = ".lora_A.weight";
    public static final String B_SUFFIX = ".lora_B.weight";

    private final LoraConfig lora;
    private final NDManager manager;
    private final Map<String, NDArray> byName;
    private final List<Map<LoraTarget, Pair>> layers;
    private final double scale;

    private LoraWeights(ModelConfig config, LoraConfig lora, NDManager manager, Map<String, NDArray> byName) {
        this.lora = lora;
        this.manager = manager;
        this.byName = Collections.unmodifiableMap(byName);
        this.scale = lora.scale();
        List<Map<LoraTarget, Pair>> ls = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            Map<LoraTarget, Pair> m = new EnumMap<>(LoraTarget.class);
            for (LoraTarget t : LoraTarget.values()) {
                NDArray a = byName.get(t.modulePath(i) + A_SUFFIX);
                if (a != null) {
                    m.put(t, new Pair(a, byName.get(t.modulePath(i) + B_SUFFIX)));
                }
            }
            ls.add(m);
        }
        this.layers = List.copyOf(ls);
    }

    /**
     * Every tensor an adapter of this shape has for the model, in a stable order (per block, per target in the
     * block's order, A then B): A {@code [r, in]}, B {@code [out, r]}.
     */
    public static List<TensorSpec> specs(ModelConfig config, LoraConfig lora) {
        Set<LoraTarget> targets = lora.targetSet();
        List<TensorSpec> out = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            for (LoraTarget t : targets) {
                if (t.mlp() && config.isSparseLayer(i)) {
                    continue;
                }
                out.add(new TensorSpec(t.modulePath(i) + A_SUFFIX, new long[] {lora.rank(), t.in(config)}));
                out.add(new TensorSpec(t.modulePath(i) + B_SUFFIX, new long[] {t.out(config), lora.rank()}));
            }
        }
        return out;
    }

    /**
     * A fresh adapter as PEFT initialises one: A ~ U(−1/√in, 1/√in) (kaiming-uniform, a = √5), B = 0. The numbers come
     * from a Java RNG seeded with {@code seed}, so they are the same on every machine.
     */
    public static LoraWeights init(ModelConfig config, LoraConfig lora, long seed, NDManager parent) {
        lora.checkFits(config);
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        for (TensorSpec spec : specs(config, lora)) {
            float[] data = new float[Math.toIntExact(spec.elementCount())];
            if (spec.name().endsWith(A_SUFFIX)) {
                double bound = 1.0 / Math.sqrt(spec.shape()[1]);
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
                }
            }
            tensors.put(spec.name(), Safetensors.Tensor.f32(spec.name(), spec.shape(), data));
        }
        return fromTensors(config, lora, tensors, parent);
    }

    /**
     * Builds an adapter from tensors keyed by {@code <module path>.lora_{A,B}.weight}, after checking them: every
     * expected tensor present with its exact shape, nothing else, every value finite. The error names the tensor.
     */
    public static LoraWeights fromTensors(
            ModelConfig config, LoraConfig lora, Map<String, Safetensors.Tensor> tensors, NDManager parent) {
        lora.checkFits(config);
        List<TensorSpec> specs = specs(config, lora);
        List<String> problems = new ArrayList<>();
        Set<String> expected = new TreeSet<>();
        for (TensorSpec spec : specs) {
            expected.add(spec.name());
            Safetensors.Tensor t = tensors.get(spec.name());
            if (t == null) {
                problems.add("missing tensor " + spec.name() + " " + Arrays.toString(spec.shape()));
            } else if (!Arrays.equals(t.shape(), spec.shape())) {
                problems.add("tensor " + spec.name() + " has shape " + Arrays.toString(t.shape()) + ", expected "
                        + Arrays.toString(spec.shape()));
            } else {
                float[] d = t.data();
                for (int i = 0; i < d.length; i++) {
                    if (!Float.isFinite(d[i])) {
                        problems.add("tensor " + spec.name() + " has a non-finite value (" + d[i] + ") at index " + i);
                        break;
                    }
                }
            }
        }
        for (String name : tensors.keySet()) {
            if (!expected.contains(name)) {
                problems.add("unexpected tensor " + name + " for LoRA targets " + lora.targets());
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidModelException(
                    problems.size() > 5
                            ? String.join("; ", problems.subList(0, 5)) + "; and " + (problems.size() - 5) + " more"
                            : String.join("; ", problems));
        }
        NDManager manager = parent.newSubManager();
        try {
            Map<String, NDArray> byName = new LinkedHashMap<>();
            for (TensorSpec spec : specs) {
                Safetensors.Tensor t = tensors.get(spec.name());
                try (NDArray wrapped = manager.create(t.data(), new Shape(spec.shape()))) {
                    NDArray owned = wrapped.duplicate(); // create() may wrap Java memory without a copy
                    owned.setName(spec.name());
                    byName.put(spec.name(), owned);
                }
            }
            return new LoraWeights(config, lora, manager, byName);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The low-rank term of layer {@code target} in block {@code layer}: (α / r) · (x Aᵀ) Bᵀ, [..., in] → [..., out];
     * null when that layer is not adapted. Differentiable in A and B.
     */
    public NDArray delta(int layer, LoraTarget target, NDArray x) {
        Pair p = layers.get(layer).get(target);
        if (p == null) {
            return null;
        }
        return Scalars.mul(x.matMul(p.a().transpose()).matMul(p.b().transpose()), scale);
    }

    /**
     * The base weights with every adapted layer merged, W' = W + (α / r)·B A, as a weight set of its own: merged layers
     * are new arrays, the others are the base's arrays, shared (closing the result frees only the merged ones; it must
     * not outlive {@code base}).
     */
    PolicyWeights mergeInto(ModelConfig config, PolicyWeights base, NDManager parent) {
        NDManager m = parent.newSubManager();
        try (NDScope ignored = new NDScope()) {
            Map<String, NDArray> merged = new LinkedHashMap<>(base.byName());
            for (int i = 0; i < layers.size(); i++) {
                for (Map.Entry<LoraTarget, Pair> e : layers.get(i).entrySet()) {
                    String name = e.getKey().modulePath(i) + ".weight";
                    Pair p = e.getValue();
                    NDArray w = Scalars.mul(p.b().matMul(p.a()), scale).addi(base.get(name));
                    NDScope.unregister(w);
                    w.attach(m);
                    w.setName(name);
                    merged.put(name, w);
                }
            }
            return PolicyWeights.sharing(config, m, merged);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Copies every A and B back to the JVM, in {@link #specs} order. */
    public List<Safetensors.Tensor> toTensors() {
        List<Safetensors.Tensor> out = new ArrayList<>(byName.size());
        byName.forEach(
                (name, a) -> out.add(Safetensors.Tensor.f32(name, a.getShape().getShape(), a.toFloatArray())));
        return out;
    }

    public LoraConfig config() {
        return lora;
    }

    /** Name → array (the trainable parameters of a LoRA run). */
    public Map<String, NDArray> byName() {
        return byName;
    }

    public long parameterCount() {
        return byName.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
