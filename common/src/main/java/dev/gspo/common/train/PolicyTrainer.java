package dev.gspo.common.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.gspo.common.model.Autograd;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.objective.LossDiagnostics;
import dev.gspo.common.objective.ObjectiveResult;
import dev.gspo.common.objective.PolicyBatch;
import dev.gspo.common.objective.PolicyObjective;
import dev.gspo.common.profile.StageTimer;
import dev.gspo.common.profile.TrainStage;
import dev.gspo.common.scoring.ResponseLogprobs;
import dev.gspo.common.scoring.TeacherForcedScorer;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * One policy-gradient step over a rollout batch (docs/ALGORITHM.md §9; MoE routing: §11):
 *
 * <pre>
 *   π_old  ← rollout log-probs, or the trainer's own under θ (see {@link OldLogprobs})
 *   mismatch = |rollout log-prob − trainer log-prob| over every response token, before any update
 *   shuffle the samples with the step's RNG, split them into M minibatches; for each:
 *     log π_θ ← teacher-forced forward (autograd)
 *     L      ← objective(π_θ, π_old, Â)              (gspo | gspo-token | grpo; with a TIS cap also π_rollout)
 *     g      ← ∇L;  clip g to global norm c;  AdamW
 *   an update whose loss or gradient norm is not finite is skipped (never applied) and counted
 * </pre>
 *
 * <p><b>Masked samples</b> ({@link PolicySample#masked()}, e.g. truncated responses under
 * {@code objective.maskTruncated}) are left out before anything else: a mask of 0 on every token of a response makes
 * it vanish from every sum of the objective and from every count the sums are divided by (|y_i|, the number of
 * sequences, the number of tokens), which is the same as training on the other samples only. So the step runs on the
 * unmasked samples alone (shuffle, minibatches, mismatch, token count), and a step whose samples are all masked makes
 * no update.
 *
 * <p><b>MoE routing.</b> For a model with sparse layers the no-grad recompute under θ = π_old also records which
 * experts every token was routed to ({@link ExpertChoices}). Each minibatch forward of π_θ then either routes freely
 * (default) or, with routing replay, uses π_old's experts. What replay keeps and what it lets move:
 * <pre>
 *   S_{n,l}   = π_old's top-k experts of token n in layer l            (replayed: fixed)
 *   w_{n,l,e} = softmax(router_θ(x_{n,l}))_e, e ∈ S_{n,l}  (renormalised over S when norm_topk_prob)   (π_θ's own)
 * </pre>
 * The routing weights stay π_θ's, gathered at the replayed experts, rather than π_old's weights replayed too: that
 * is what the routing-replay methods of the MoE-RL literature do (the "routing mask" is replayed, the gate values
 * are recomputed), so that the router keeps receiving gradient through w and π_θ's log-probs remain a differentiable
 * function of every parameter; only the discrete top-k choice, which has no gradient anyway, is pinned. Either way
 * the trainer measures the share of (token, sparse layer) pairs whose expert set under π_θ differs from π_old's in
 * the minibatches after the step's first update ({@link StepResult#routingChangeShare}).
 */
public final class PolicyTrainer {

    /**
     * What the step measured.
     *
     * @param minibatches        the objective's diagnostics of each applied update (skipped ones are left out); empty
     *                           when every sample was masked
     * @param gradNorms          the global gradient norm before clipping of each applied update
     * @param skipped            updates not applied because the loss or the gradient norm was not finite
     * @param mismatchMean       mean |rollout log-prob − trainer log-prob| over every response token, before any update
     * @param mismatchMax        the largest such difference
     * @param tokens             response tokens trained on in the step (masked samples' not counted)
     * @param routingChangeShare share of (token, sparse layer) pairs whose routed expert set under π_θ differed from
     *                           π_old's, over the forwards of minibatches 2..M (after ≥ 1 update; what π_θ would have
     *                           routed, also under replay); NaN for a dense model or a single minibatch
     */
    public record StepResult(
            List<LossDiagnostics> minibatches,
            List<Double> gradNorms,
            int skipped,
            double mismatchMean,
            double mismatchMax,
            long tokens,
            double routingChangeShare) {}

    private final PolicyModel model;
    private final AdamW optimizer;
    private final PolicyObjective objective;
    private final double maxGradNorm;
    private final PolicyModel reference;
    private final boolean routingReplay;

    public PolicyTrainer(PolicyModel model, AdamW optimizer, PolicyObjective objective, double maxGradNorm) {
        this(model, optimizer, objective, maxGradNorm, null);
    }

    public PolicyTrainer(
            PolicyModel model, AdamW optimizer, PolicyObjective objective, double maxGradNorm, PolicyModel reference) {
        this(model, optimizer, objective, maxGradNorm, reference, false);
    }

    /**
     * @param reference     a frozen policy for the KL penalty (k3 estimator, weight β of the objective's config), or
     *                      null when β = 0
     * @param routingReplay whether π_θ's forwards use π_old's experts (MoE models; no effect on dense ones)
     */
    public PolicyTrainer(
            PolicyModel model,
            AdamW optimizer,
            PolicyObjective objective,
            double maxGradNorm,
            PolicyModel reference,
            boolean routingReplay) {
        if (objective.config().klBeta() > 0 && reference == null) {
            throw new IllegalArgumentException("klBeta = " + objective.config().klBeta() + " needs a reference policy");
        }
        this.model = model;
        this.optimizer = optimizer;
        this.objective = objective;
        this.maxGradNorm = maxGradNorm;
        this.reference = reference;
        this.routingReplay = routingReplay;
        model.trainableParameters().values().forEach(p -> p.setRequiresGradient(true));
    }

    public StepResult step(
            List<PolicySample> samples,
            int miniBatches,
            double lr,
            OldLogprobs oldSource,
            double zeroVarianceShare,
            RandomGenerator rng) {
        return step(samples, miniBatches, lr, oldSource, zeroVarianceShare, rng, StageTimer.NONE);
    }

    /**
     * As {@link #step(List, int, double, OldLogprobs, double, RandomGenerator)}, telling {@code timer} where each
     * {@link TrainStage} ends (the bench's stage profile). The arithmetic is the same with any timer.
     */
    public StepResult step(
            List<PolicySample> samples,
            int miniBatches,
            double lr,
            OldLogprobs oldSource,
            double zeroVarianceShare,
            RandomGenerator rng,
            StageTimer timer) {
        List<PolicySample> trained = samples.stream().filter(s -> !s.masked()).toList();
        if (trained.isEmpty()) {
            return new StepResult(List.of(), List.of(), 0, Double.NaN, Double.NaN, 0, Double.NaN);
        }
        return stepOn(trained, miniBatches, lr, oldSource, zeroVarianceShare, rng, timer);
    }

    private StepResult stepOn(
            List<PolicySample> samples,
            int miniBatches,
            double lr,
            OldLogprobs oldSource,
            double zeroVarianceShare,
            RandomGenerator rng,
            StageTimer timer) {
        Autograd.offForThisThread();
        NDManager manager = model.weights().manager();
        ExpertChoices choices = new ExpertChoices(samples);
        timer.ended(TrainStage.OTHER);
        int m = Math.max(1, Math.min(miniBatches, samples.size()));
        float[][] trainerOld = trainerLogprobs(samples, choices, (samples.size() + m - 1) / m);
        timer.ended(TrainStage.OLD_LOGPROBS);
        List<Double> changeShares = new ArrayList<>();
        double sumDiff = 0;
        double maxDiff = 0;
        long tokens = 0;
        for (int i = 0; i < samples.size(); i++) {
            float[] rollout = samples.get(i).rolloutLogprobs();
            for (int t = 0; t < rollout.length; t++) {
                double d = Math.abs(rollout[t] - trainerOld[i][t]);
                sumDiff += d;
                maxDiff = Math.max(maxDiff, d);
            }
            tokens += rollout.length;
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            order.add(i);
        }
        for (int i = order.size() - 1; i > 0; i--) { // Fisher–Yates with the injected RNG
            int j = rng.nextInt(i + 1);
            order.set(i, order.set(j, order.get(i)));
        }
        List<LossDiagnostics> diagnostics = new ArrayList<>();
        List<Double> norms = new ArrayList<>();
        int skipped = 0;
        var params = model.trainableParameters();
        for (int k = 0; k < m; k++) {
            List<Integer> idx = order.subList(k * order.size() / m, (k + 1) * order.size() / m);
            LossDiagnostics d = null;
            double loss;
            try (NDScope ignored = new NDScope()) {
                List<int[]> prompts = new ArrayList<>();
                List<int[]> responses = new ArrayList<>();
                float[] temps = new float[idx.size()];
                float[] adv = new float[idx.size()];
                int width = 0;
                for (int r = 0; r < idx.size(); r++) {
                    PolicySample s = samples.get(idx.get(r));
                    prompts.add(s.promptTokenIds());
                    responses.add(s.responseTokenIds());
                    temps[r] = s.temperature();
                    adv[r] = (float) s.advantage();
                    width = Math.max(width, s.responseTokenIds().length);
                }
                float[] old = new float[idx.size() * width];
                for (int r = 0; r < idx.size(); r++) {
                    int i = idx.get(r);
                    float[] src =
                            oldSource == OldLogprobs.ROLLOUT ? samples.get(i).rolloutLogprobs() : trainerOld[i];
                    System.arraycopy(src, 0, old, r * width, src.length);
                }
                // the reference's weights need no gradient, and it is scored before the collector opens
                NDArray refLogprobs = reference == null
                        ? null
                        : TeacherForcedScorer.score(reference.transformer(), manager, prompts, responses, temps)
                                .logprobs();
                int inputWidth = TeacherForcedScorer.inputWidth(prompts, responses);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    timer.ended(TrainStage.OTHER);
                    ResponseLogprobs lp = TeacherForcedScorer.score(
                            model.transformer(),
                            manager,
                            prompts,
                            responses,
                            temps,
                            true,
                            routingReplay ? choices.replay(idx, inputWidth) : choices.observe(idx, inputWidth),
                            timer);
                    PolicyBatch batch = PolicyBatch.of(
                                    lp.logprobs(),
                                    manager.create(old, new Shape(idx.size(), width)),
                                    lp.mask(),
                                    manager.create(adv))
                            .withEntropy(lp.entropy())
                            .withZeroVarianceShare(zeroVarianceShare);
                    if (refLogprobs != null) {
                        batch = batch.withRefLogprobs(refLogprobs);
                    }
                    if (objective.config().tis()) { // truncated importance sampling: π_rollout beside π_old
                        batch = batch.withBehaviourLogprobs(
                                manager.create(rolloutLogprobs(samples, idx, width), new Shape(idx.size(), width)));
                    }
                    ObjectiveResult result = objective.compute(batch);
                    d = result.diagnostics();
                    loss = d.loss();
                    timer.ended(TrainStage.LOSS);
                    if (Double.isFinite(loss)) {
                        gc.backward(result.loss());
                    }
                    timer.ended(TrainStage.BACKWARD);
                }
            }
            double share = choices.takeChangeShare(); // minibatch 1 runs before any update: π_θ = π_old
            if (k > 0 && Double.isFinite(share)) {
                changeShares.add(share);
            }
            timer.ended(TrainStage.OTHER);
            double norm = Double.isFinite(loss) ? Gradients.clipGlobalNorm(params.values(), maxGradNorm) : Double.NaN;
            timer.ended(TrainStage.CLIP);
            if (Double.isFinite(norm)) {
                optimizer.update(params, lr);
                diagnostics.add(d);
                norms.add(norm);
            } else {
                skipped++;
            }
            timer.ended(TrainStage.ADAMW);
            Gradients.zero(params.values());
            timer.ended(TrainStage.ZERO);
        }
        return new StepResult(
                diagnostics,
                norms,
                skipped,
                tokens == 0 ? 0 : sumDiff / tokens,
                maxDiff,
                tokens,
                changeShares.stream().mapToDouble(x -> x).average().orElse(Double.NaN));
    }

    /** The rollout's log-probs of the samples {@code idx}, right-padded with 0 to {@code width}: [B·T] row-major. */
    private static float[] rolloutLogprobs(List<PolicySample> samples, List<Integer> idx, int width) {
        float[] out = new float[idx.size() * width];
        for (int r = 0; r < idx.size(); r++) {
            float[] src = samples.get(idx.get(r)).rolloutLogprobs();
            System.arraycopy(src, 0, out, r * width, src.length);
        }
        return out;
    }

    /**
     * Log-probs of every sample's response under the current θ, without building a graph; records the routing. The
     * samples go through in chunks of {@code chunkRows} (a training minibatch's size), each in its own scope: one
     * forward over the whole batch kept every activation and the [N, R, V] logits of all N rows alive at once (at
     * 64 × 48 rows × 8192 logits: 100 MB per vocabulary-sized tensor, fresh memory page-faulted in every step) and ran
     * at less than half the FLOP rate of the minibatch forwards. Each row's log-probs are the same function either way.
     */
    private float[][] trainerLogprobs(List<PolicySample> samples, ExpertChoices choices, int chunkRows) {
        float[][] out = new float[samples.size()][];
        for (int from = 0; from < samples.size(); from += chunkRows) {
            List<Integer> rows = new ArrayList<>();
            for (int i = from; i < Math.min(samples.size(), from + chunkRows); i++) {
                rows.add(i);
            }
            try (NDScope ignored = new NDScope()) {
                List<int[]> prompts = new ArrayList<>();
                List<int[]> responses = new ArrayList<>();
                float[] temps = new float[rows.size()];
                for (int r = 0; r < rows.size(); r++) {
                    PolicySample s = samples.get(rows.get(r));
                    prompts.add(s.promptTokenIds());
                    responses.add(s.responseTokenIds());
                    temps[r] = s.temperature();
                }
                ResponseLogprobs lp = TeacherForcedScorer.score(
                        model.transformer(),
                        model.weights().manager(),
                        prompts,
                        responses,
                        temps,
                        false,
                        choices.recorder(rows, TeacherForcedScorer.inputWidth(prompts, responses)));
                int width = (int) lp.logprobs().getShape().get(1);
                float[] flat = lp.logprobs().toFloatArray();
                for (int r = 0; r < rows.size(); r++) {
                    int i = rows.get(r);
                    out[i] = new float[samples.get(i).responseTokenIds().length];
                    System.arraycopy(flat, r * width, out[i], 0, out[i].length);
                }
            }
        }
        return out;
    }
}
