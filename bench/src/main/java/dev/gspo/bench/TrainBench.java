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
import dev.gspo.common.profile.TrainStage;
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
 *
 * <p>The timed steps also carry a {@link StageProfile}: wall and process CPU time per {@link TrainStage}, summed over
 * the timed steps' minibatches, one row per stage. FLOPs per stage, as {@link Flops} counts them:
 *
 * <pre>
 *   π_old recompute   forward(N·W positions, N·W² pairs, N·R head rows)     N samples, W = input width, R = response
 *   blocks forward    forward(N·W, N·W², 0)
 *   head forward      forward(0, 0, N·R)                                     2·V·d per response row
 *   backward          2 × (blocks + head)
 * </pre>
 * The other stages (inputs, log-softmax, loss, clipping, AdamW, zeroing) are memory- or op-bound and have no FLOPs
 * here; their share of the step is what they cost.
 *
 * <p>Around the timed steps, {@link ProcessCounters} split the process's CPU time into user (libtorch's arithmetic)
 * and system (the kernel: page faults, {@code mmap}/{@code munmap}) and count page faults; the resident set size
 * after every timed step shows whether memory settles over many steps.
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
        long[] rssAfterStep;
        ProcessCounters counters; // user/system CPU, page faults of the timed steps; RSS after them
        double adamSeconds;
        StageProfile profile = new StageProfile();
        try (AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            PolicyTrainer trainer =
                    new PolicyTrainer(model, adam, new PolicyObjective(ObjectiveConfig.defaults(LossMode.GSPO)), 1.0);
            trainer.step(batch, miniBatches, 1e-6, OldLogprobs.ROLLOUT, 0.0, new SplittableRandom(1)); // warm-up
            rssAfterStep = new long[steps];
            ProcessCounters before = ProcessCounters.now();
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                profile.start();
                trainer.step(batch, miniBatches, 1e-6, OldLogprobs.ROLLOUT, 0.0, new SplittableRandom(s), profile);
                profile.ended(TrainStage.OTHER); // building the step's result
                ProcessCounters now = ProcessCounters.now();
                rssAfterStep[s] = now == null ? -1 : now.rssBytes();
            }
            stepSeconds = (System.nanoTime() - t0) / 1e9 / steps;
            ProcessCounters after = ProcessCounters.now();
            counters = before == null || after == null ? null : after.since(before);
            String trace = System.getProperty("gspo.bench.opTrace");
            if (trace != null) { // one more step under libtorch's profiler: a chrome trace of every op, for digging
                ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
                trainer.step(batch, miniBatches, 1e-6, OldLogprobs.ROLLOUT, 0.0, new SplittableRandom(99));
                ai.djl.pytorch.jni.JniUtils.stopProfile(
                        trace + "-" + label.replaceAll("[^A-Za-z0-9.-]", "_") + ".json");
            }
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
        double blocks = flops.forward((double) samples * width, (double) samples * width * width, 0);
        double head = flops.forward(0, 0, (double) samples * responseLen);
        for (TrainStage stage : TrainStage.values()) {
            double wall = profile.wallSeconds(stage) / steps;
            double cpu = profile.cpuSeconds(stage) / steps;
            double stageFlops =
                    switch (stage) {
                        case OLD_LOGPROBS -> perForward;
                        case BLOCKS -> blocks;
                        case HEAD -> head;
                        case BACKWARD -> 2 * (blocks + head);
                        default -> Double.NaN;
                    };
            out.accept(new Row(
                    "train",
                    label + " stage: " + stage.label(),
                    wall * 1000,
                    "ms/step",
                    wall > 0 ? stageFlops / wall / 1e9 : Double.NaN,
                    load,
                    String.format(
                            java.util.Locale.ROOT,
                            "%.1f%% of the step; process CPU %s (%.2f× wall)",
                            100 * wall / stepSeconds,
                            DecodeBench.ms(cpu),
                            wall > 0 ? cpu / wall : Double.NaN)));
        }
        out.accept(new Row(
                "train",
                label + " stage: sum of the stages",
                profile.totalWallSeconds() / steps * 1000,
                "ms/step",
                Double.NaN,
                load,
                String.format(
                        java.util.Locale.ROOT,
                        "%.1f%% of the measured step (the rest: the loop around the steps)",
                        100 * profile.totalWallSeconds() / steps / stepSeconds)));
        // /proc counts CPU in 10 ms ticks: a step shorter than a tick has nothing to say here
        if (counters != null && counters.userSeconds() + counters.systemSeconds() > 0) {
            out.accept(new Row(
                    "train",
                    label + " step: process CPU (user + system), page faults",
                    (counters.userSeconds() + counters.systemSeconds()) / steps * 1000,
                    "ms/step",
                    Double.NaN,
                    load,
                    String.format(
                            java.util.Locale.ROOT,
                            "per step (mean of %d): user %s, system %s (%.1f%% of the CPU), %d minor + %d major "
                                    + "page faults (%.0f MB at 4 KiB each)",
                            steps,
                            DecodeBench.ms(counters.userSeconds() / steps),
                            DecodeBench.ms(counters.systemSeconds() / steps),
                            100 * counters.systemSeconds() / (counters.userSeconds() + counters.systemSeconds()),
                            counters.minorFaults() / steps,
                            counters.majorFaults() / steps,
                            counters.minorFaults() / (double) steps * 4096 / 1e6)));
        }
        if (counters != null && counters.rssBytes() > 0) {
            out.accept(new Row(
                    "train",
                    label + " RSS after the last timed step",
                    counters.rssBytes() / 1e6,
                    "MB",
                    Double.NaN,
                    Machine.load(),
                    "after each timed step, MB: " + rssList(rssAfterStep)));
        }
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

    /** "a, b, c" of the RSS values in MB, every step: whether resident memory settles is the point. */
    private static String rssList(long[] rss) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < rss.length; i++) {
            b.append(i == 0 ? "" : ", ").append(Math.round(rss[i] / 1e6));
        }
        return b.toString();
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
