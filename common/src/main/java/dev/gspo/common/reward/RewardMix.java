package dev.gspo.common.reward;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reward of a run: a weighted sum of named reward functions,
 *
 * <pre>
 *   r_i = Σ_k w_k · f_k(response_i)
 * </pre>
 *
 * and each function's own mean, unweighted, for the metrics ({@code gspo.train.reward{fn=name}}). The first function
 * is the <em>primary</em> one: a response it scores ≥ 1 counts as correct in the accuracy metrics.
 */
public final class RewardMix {

    /** One function with its name (in metrics and reports) and its weight w_k. */
    public record Term(String name, double weight, Reward reward) {}

    /**
     * @param total   r_i, the weighted sum, per response
     * @param primary the first function's score per response
     * @param means   each function's mean score by name, in config order, followed by the mean of every component a
     *                remote function reported, as {@code name.component} (over the responses that carry it)
     */
    public record Result(double[] total, double[] primary, Map<String, Double> means) {}

    private final List<Term> terms;

    public RewardMix(List<Term> terms) {
        if (terms.isEmpty()) {
            throw new IllegalArgumentException("a run needs at least one reward function");
        }
        this.terms = List.copyOf(terms);
    }

    /** The task's own reward alone, weight 1: what a run without a {@code rewards} section uses. */
    public static RewardMix of(String name, Reward reward) {
        return new RewardMix(List.of(new Term(name, 1.0, reward)));
    }

    public List<Term> terms() {
        return terms;
    }

    /** The first function: the one the accuracy metrics count with. */
    public Reward primary() {
        return terms.getFirst().reward();
    }

    /** Scores {@code inputs} with every function, in config order. A remote function's failure propagates. */
    public Result score(List<RewardInput> inputs) {
        int n = inputs.size();
        double[] total = new double[n];
        double[] primary = null;
        Map<String, Double> means = new LinkedHashMap<>();
        Map<String, Double> componentMeans = new LinkedHashMap<>();
        for (Term term : terms) {
            RewardScores s = term.reward().score(inputs);
            if (s.scores().length != n) {
                throw new IllegalStateException("reward function '" + term.name() + "' returned " + s.scores().length
                        + " scores for " + n + " responses");
            }
            for (int i = 0; i < n; i++) {
                total[i] += term.weight() * s.scores()[i];
            }
            if (primary == null) {
                primary = s.scores();
            }
            means.put(term.name(), mean(s.scores()));
            s.components()
                    .forEach((component, values) -> componentMeans.put(term.name() + "." + component, mean(values)));
        }
        means.putAll(componentMeans);
        return new Result(total, primary, Collections.unmodifiableMap(means));
    }

    /** The mean of the finite values; NaN if there are none. */
    private static double mean(double[] values) {
        double sum = 0;
        int count = 0;
        for (double v : values) {
            if (Double.isFinite(v)) {
                sum += v;
                count++;
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }
}
