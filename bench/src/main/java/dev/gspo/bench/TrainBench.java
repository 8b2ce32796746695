package dev.gspo.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Scalars;
import dev.gspo.common.objective.LossMode;
import dev.gspo.common.objective.ObjectiveConfig;
import dev.gspo.common.objective.ObjectiveResult;
import dev.gspo.common.objective.PolicyBatch;
import dev.gspo.common.objective.PolicyObjective;
import dev.gspo.common.train.AdamW;
import dev.gspo.common.train.OldLogprobs;
import dev.gspo.common.train.PolicySample;
import dev.gspo.common.train.PolicyTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Training throughput of {@link PolicyTrainer#step}: the no-grad recompute of π_old over the whole batch, then per
 * minibatch the teacher-forced forward, the GSPO loss, backward, global-norm clipping and AdamW. FLOPs counted:
 * 4 forwards of the batch (1 no-grad + 3 for forward+backward), see {@link Flops}. The GSPO loss is timed on its
 * own (forward + backward of the objective on [B, R] log-probs that require a gradient) to give its share.
 */
final class TrainBench {
    private TrainBench() {}

    static void run(
            String label,
            PolicyModel model,
            int samples,
            int promptLen,
            int responseLen,
            int miniBatches,
            int steps,
            Consumer<Row> out) {
        Flops flops = new Flops(model.config());
        NDManager manager = model.weights().manager();
        SplittableRandom rng = new SplittableRandom(5);
        int vocab = model.tokenizer().vocabSize();
        List<PolicySample> batch = new ArrayList<>();
        for (int i = 0; i < samples; i++) {
            int[] p = new int[promptLen];
            int[] r = new int[responseLen];
            float[] lp = new float[responseLen];
            for (int j = 0; j < promptLen; j++) {
                p[j] = 4 + rng.nextInt(vocab - 4);
            }
            for (int j = 0; j < responseLen; j++) {
                r[j] = 4 + rng.nextInt(vocab - 4);
                lp[j] = (float) -Math.log(model.config().vocabSize());
            }
            batch.add(new PolicySample(p, r, lp, i % 2 == 0 ? 1.0 : -1.0, 1.0f));
        }
        double load = Machine.load();
        double stepSeconds;
        double adamSeconds;
        try (AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            PolicyTrainer trainer =
                    new PolicyTrainer(model, adam, new PolicyObjective(ObjectiveConfig.defaults(LossMode.GSPO)), 1.0);
            trainer.step(batch, miniBatches, 1e-6, OldLogprobs.ROLLOUT, 0.0, new SplittableRandom(1)); // warm-up
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                trainer.step(batch, miniBatches, 1e-6, OldLogprobs.ROLLOUT, 0.0, new SplittableRandom(s));
            }
            stepSeconds = (System.nanoTime() - t0) / 1e9 / steps;
            long a0 = System.nanoTime();
            for (int s = 0; s < 3; s++) {
                adam.update(model.weights().byName(), 1e-9); // zero gradients: same arithmetic, no change that matters
            }
            adamSeconds = (System.nanoTime() - a0) / 1e9 / 3 * miniBatches;
        }
        int width = promptLen + responseLen - 1;
        double perForward = flops.forward(
                (double) samples * width, (double) samples * width * width, (double) samples * responseLen);
        double stepFlops = 4 * perForward;
        long tokens = (long) samples * (promptLen + responseLen);
        String shape = samples + "×(" + promptLen + "+" + responseLen + "), " + miniBatches + " minibatches";
        out.accept(new Row(
                "train",
                label + " step " + shape,
                tokens / stepSeconds,
                "tok/s",
                stepFlops / stepSeconds / 1e9,
                load,
                "prompt+response tokens; " + DecodeBench.ms(stepSeconds) + " per step; "
                        + Results.num(samples * responseLen / stepSeconds) + " response tok/s"));
        double lossSeconds = lossSeconds(manager, samples / miniBatches, responseLen) * miniBatches;
        out.accept(new Row(
                "train",
                label + " GSPO loss fwd+bwd",
                lossSeconds * 1000,
                "ms/step",
                Double.NaN,
                Machine.load(),
                String.format(java.util.Locale.ROOT, "%.2f%% of the step", 100 * lossSeconds / stepSeconds)));
        out.accept(new Row(
                "train",
                label + " AdamW",
                adamSeconds * 1000,
                "ms/step",
                Double.NaN,
                Machine.load(),
                String.format(
                        java.util.Locale.ROOT,
                        "%.2f%% of the step (%d updates)",
                        100 * adamSeconds / stepSeconds,
                        miniBatches)));
    }

    /** Mean seconds of the objective's forward + backward on one minibatch of [b, r] log-probs. */
    private static double lossSeconds(NDManager parent, int b, int r) {
        PolicyObjective objective = new PolicyObjective(ObjectiveConfig.defaults(LossMode.GSPO));
        SplittableRandom rng = new SplittableRandom(3);
        float[] newLp = new float[b * r];
        float[] oldLp = new float[b * r];
        float[] ent = new float[b * r];
        float[] mask = new float[b * r];
        float[] adv = new float[b];
        for (int i = 0; i < b * r; i++) {
            oldLp[i] = (float) (-1 - rng.nextDouble());
            newLp[i] = oldLp[i] + (float) (1e-4 * rng.nextGaussian());
            ent[i] = 1f;
            mask[i] = 1f;
        }
        for (int i = 0; i < b; i++) {
            adv[i] = i % 2 == 0 ? 1f : -1f;
        }
        int reps = 10;
        long total = 0;
        try (NDManager m = parent.newSubManager()) {
            NDArray leaf = m.create(newLp, new Shape(b, r));
            leaf.setRequiresGradient(true);
            for (int rep = -2; rep < reps; rep++) {
                long t0 = System.nanoTime();
                try (NDScope ignored = new NDScope();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    PolicyBatch batch = PolicyBatch.of(
                                    Scalars.mul(leaf, 1),
                                    m.create(oldLp, new Shape(b, r)),
                                    m.create(mask, new Shape(b, r)),
                                    m.create(adv))
                            .withEntropy(m.create(ent, new Shape(b, r)))
                            .withZeroVarianceShare(0.0);
                    ObjectiveResult result = objective.compute(batch);
                    gc.backward(result.loss());
                }
                if (rep >= 0) {
                    total += System.nanoTime() - t0;
                }
            }
        }
        return total / 1e9 / reps;
    }
}
