package dev.gspo.common.model;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A LoRA adapter's shape (Hu et al. 2021, as PEFT implements it): every targeted linear layer {@code y = W x} becomes
 *
 * <pre>
 *   y = W x + (α / r) · B (A x)        W [out, in] frozen;  A [r, in];  B [out, r]
 * </pre>
 *
 * with A drawn as PEFT draws it (kaiming-uniform with a = √5, i.e. U(−1/√in, 1/√in)) and B zero, so the adapted
 * model starts equal to the base. Only A and B are trained.
 *
 * @param rank    r ≥ 1, at most the smaller width of every targeted layer
 * @param alpha   α &gt; 0; the update is scaled by α / r (PEFT's {@code lora_alpha}, not rank-stabilised)
 * @param targets PEFT module names ({@link LoraTarget}), at least one, no repeats; kept in the block's order
 *                (q, k, v, o, gate, up, down; unknown names last), so that equal sets give equal configs
 */
public record LoraConfig(int rank, double alpha, List<String> targets) {
    /** q, k, v, o, gate, up, down: every linear layer of a block (LoRA Without Regret: attention-only is worse). */
    public static final List<String> DEFAULT_TARGETS = LoraTarget.moduleNames();

    public LoraConfig {
        List<String> known = LoraTarget.moduleNames();
        targets = targets.stream()
                .sorted(java.util.Comparator.comparingInt(t -> known.contains(t) ? known.indexOf(t) : known.size()))
                .toList();
    }

    public static LoraConfig of(int rank, double alpha) {
        return new LoraConfig(rank, alpha, DEFAULT_TARGETS);
    }

    /** α / r. */
    public double scale() {
        return alpha / rank;
    }

    /** The targets as enum values, in the block's order. */
    public Set<LoraTarget> targetSet() {
        Set<LoraTarget> out = EnumSet.noneOf(LoraTarget.class);
        for (String t : targets) {
            out.add(LoraTarget.ofModuleName(t));
        }
        return out;
    }

    /**
     * Every problem of this config for a model of {@code model}'s shape, each naming the offending value (empty when it
     * fits): rank ≤ 0, α not positive and finite, no or unknown or repeated targets, a rank larger than a targeted
     * layer's smaller width, MLP targets on a model whose MLPs are all sparse.
     */
    public List<String> problems(ModelConfig model) {
        List<String> out = new ArrayList<>();
        if (rank <= 0) {
            out.add("rank must be ≥ 1, got " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            out.add("alpha must be a positive number, got " + alpha);
        }
        if (targets.isEmpty()) {
            out.add("targets must name at least one of " + LoraTarget.moduleNames());
        }
        Set<LoraTarget> seen = EnumSet.noneOf(LoraTarget.class);
        for (String t : targets) {
            LoraTarget target;
            try {
                target = LoraTarget.ofModuleName(t);
            } catch (IllegalArgumentException e) {
                out.add(e.getMessage());
                continue;
            }
            if (!seen.add(target)) {
                out.add("target '" + t + "' is named twice");
                continue;
            }
            if (model != null && rank > 0) {
                long width = Math.min(target.in(model), target.out(model));
                if (rank > width) {
                    out.add("rank " + rank + " exceeds the width " + width + " of " + t + " (" + target.out(model)
                            + " × " + target.in(model) + ")");
                }
            }
        }
        return out;
    }

    /** Throws {@link InvalidModelException} listing every {@link #problems} for the model. */
    public LoraConfig checkFits(ModelConfig model) {
        List<String> p = problems(model);
        if (!p.isEmpty()) {
            throw new InvalidModelException("LoRA config does not fit the model: " + String.join("; ", p));
        }
        return this;
    }
}
