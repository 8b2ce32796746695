package dev.gspo.common.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.gspo.common.model.Autograd;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Scalars;
import dev.gspo.common.scoring.ResponseLogprobs;
import dev.gspo.common.scoring.TeacherForcedScorer;
import java.util.Arrays;
import java.util.List;

/**
 * Supervised fine-tuning on demonstrations (the warm start that makes the default base policy):
 *
 * <pre>
 *   L = − Σ_b Σ_t log π_θ(y_b,t | x_b, y_b,&lt;t) / Σ_b |y_b|        (token-mean negative log-likelihood)
 * </pre>
 *
 * then global-norm clipping and one AdamW update. A non-finite loss or gradient skips the update.
 */
public final class SupervisedTrainer {

    public record StepResult(double loss, double gradNorm, boolean skipped, int tokens) {}

    private final PolicyModel model;
    private final AdamW optimizer;
    private final double maxGradNorm;

    public SupervisedTrainer(PolicyModel model, AdamW optimizer, double maxGradNorm) {
        this.model = model;
        this.optimizer = optimizer;
        this.maxGradNorm = maxGradNorm;
        model.trainableParameters().values().forEach(p -> p.setRequiresGradient(true));
    }

    public StepResult step(List<int[]> prompts, List<int[]> completions, double lr) {
        Autograd.offForThisThread();
        var params = model.trainableParameters();
        int tokens = completions.stream().mapToInt(c -> c.length).sum();
        double loss;
        try (NDScope ignored = new NDScope()) {
            float[] ones = new float[prompts.size()];
            Arrays.fill(ones, 1f);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                ResponseLogprobs lp = TeacherForcedScorer.score(
                        model.transformer(), model.weights().manager(), prompts, completions, ones);
                NDArray nll = Scalars.div(lp.logprobs().sum().neg(), tokens);
                loss = nll.getFloat();
                if (Double.isFinite(loss)) {
                    gc.backward(nll);
                }
            }
        }
        double norm = Double.isFinite(loss) ? Gradients.clipGlobalNorm(params.values(), maxGradNorm) : Double.NaN;
        boolean skipped = !Double.isFinite(norm);
        if (!skipped) {
            optimizer.update(params, lr);
        }
        Gradients.zero(params.values());
        return new StepResult(loss, norm, skipped, tokens);
    }
}
