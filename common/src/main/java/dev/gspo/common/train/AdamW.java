package dev.gspo.common.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.gspo.common.model.Autograd;
import dev.gspo.common.model.InvalidModelException;
import dev.gspo.common.model.Safetensors;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter), with the same arithmetic as {@code torch.optim.AdamW}:
 *
 * <pre>
 *   t ← t + 1
 *   θ ← θ · (1 − lr·λ)                                   (decoupled weight decay; only for matrices, see below)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   θ ← θ − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
 * </pre>
 *
 * Written here because DJL's built-in Adam keeps its moments private, so a checkpoint could not resume with the same
 * optimizer state. Weight decay applies to parameters of rank ≥ 2 only (not to norm weights or biases), as is usual
 * for transformers. Updates run in place outside any gradient collector.
 */
public final class AdamW implements AutoCloseable {

    /** @param weightDecay λ, applied as θ·(1 − lr·λ) to matrices */
    public record Hyper(double beta1, double beta2, double eps, double weightDecay) {
        public static Hyper defaults() {
            return new Hyper(0.9, 0.999, 1e-8, 0.01);
        }
    }

    private static final String M_PREFIX = "exp_avg.";
    private static final String V_PREFIX = "exp_avg_sq.";

    private final Hyper hyper;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private long step;

    /** Fresh state (zero moments) for the given parameters. */
    public AdamW(Map<String, NDArray> params, Hyper hyper, NDManager parent) {
        this.hyper = hyper;
        this.manager = parent.newSubManager();
        params.forEach((name, p) -> {
            m.put(name, manager.zeros(p.getShape()));
            v.put(name, manager.zeros(p.getShape()));
        });
    }

    public long step() {
        return step;
    }

    public Hyper hyper() {
        return hyper;
    }

    /** Applies one update from the parameters' current gradients. */
    public void update(Map<String, NDArray> params, double lr) {
        Autograd.offForThisThread();
        step++;
        double bc1 = 1 - Math.pow(hyper.beta1(), step);
        double sqrtBc2 = Math.sqrt(1 - Math.pow(hyper.beta2(), step));
        // m / (√v/√bc2 + ε) = √bc2 · m / (√v + ε·√bc2): one pass fewer per parameter than dividing √v first
        double epsScaled = hyper.eps() * sqrtBc2;
        double stepSize = lr * sqrtBc2 / bc1;
        // one scope per parameter: its temporaries are freed before the next parameter's are allocated, so the
        // allocator reuses warm memory instead of holding (and page-faulting in) every temporary of the model at once
        params.forEach((name, p) -> {
            try (NDScope ignored = new NDScope()) {
                NDArray g = p.getGradient();
                NDArray mi = m.get(name);
                NDArray vi = v.get(name);
                if (hyper.weightDecay() != 0 && p.getShape().dimension() >= 2) {
                    p.muli(1 - lr * hyper.weightDecay());
                }
                // β1·m + (1 − β1)·g written as g + β1·(m − g) (torch's lerp_): in place, no temporary
                mi.subi(g).muli(hyper.beta1()).addi(g);
                vi.muli(hyper.beta2()).addi(g.square().muli(1 - hyper.beta2()));
                NDArray denom = vi.sqrt().addi(epsScaled);
                p.subi(mi.div(denom).muli(stepSize));
            }
        });
    }

    /** The moments as tensors named {@code exp_avg.<param>} and {@code exp_avg_sq.<param>}; the step count goes in metadata. */
    public List<Safetensors.Tensor> stateTensors() {
        List<Safetensors.Tensor> out = new ArrayList<>();
        m.forEach((name, a) ->
                out.add(Safetensors.Tensor.f32(M_PREFIX + name, a.getShape().getShape(), a.toFloatArray())));
        v.forEach((name, a) ->
                out.add(Safetensors.Tensor.f32(V_PREFIX + name, a.getShape().getShape(), a.toFloatArray())));
        return out;
    }

    public Map<String, String> stateMetadata() {
        return Map.of(
                "step",
                Long.toString(step),
                "beta1",
                Double.toString(hyper.beta1()),
                "beta2",
                Double.toString(hyper.beta2()),
                "eps",
                Double.toString(hyper.eps()),
                "weight_decay",
                Double.toString(hyper.weightDecay()));
    }

    /** Restores saved moments; every parameter must have both moments with its shape. */
    public static AdamW restore(
            Map<String, NDArray> params,
            Hyper hyper,
            Map<String, Safetensors.Tensor> state,
            long step,
            NDManager parent) {
        AdamW adam = new AdamW(params, hyper, parent);
        adam.step = step;
        params.forEach((name, p) -> {
            adam.load(adam.m, name, state.get(M_PREFIX + name), p.getShape());
            adam.load(adam.v, name, state.get(V_PREFIX + name), p.getShape());
        });
        return adam;
    }

    private void load(Map<String, NDArray> into, String name, Safetensors.Tensor t, Shape shape) {
        if (t == null || !shape.equals(new Shape(t.shape()))) {
            close();
            throw new InvalidModelException("optimizer state lacks a moment of shape " + shape + " for " + name);
        }
        try (NDArray wrapped = manager.create(t.data(), shape)) {
            into.get(name).close();
            into.put(name, wrapped.duplicate());
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
