package dev.gspo.experiments;

import dev.gspo.optimizer.loop.PolicySink;
import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.loop.RolloutSource;
import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.TrainingRun;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The experiment's shared starting point: one {@link TrainingRun} of the built-in model with the supervised warm
 * start and no GSPO step, whose final checkpoint (a model directory: config.json, model.safetensors, tokenizer.json)
 * every run of every arm then resumes from, with the warm start's AdamW state.
 */
public final class WarmStart {

    /**
     * @param modelDir the checkpoint the runs start from; {@code heldOut} its greedy held-out accuracy
     * @param loss     the supervised loss of every step taken (as many as the stop rule let run)
     * @param seed     the warm start's seed (null in results written when one warm start served every seed)
     * @param checkAccuracy the last stop-rule check's greedy accuracy on the check sample (NaN: no check)
     * @param stoppedBecause why it ended ({@code target-reached}, {@code max-steps}; null in older results)
     */
    public record Result(
            Path modelDir,
            double heldOut,
            List<Double> loss,
            double wallSeconds,
            Long seed,
            Double checkAccuracy,
            String stoppedBecause) {
        /** Supervised steps taken. */
        public int steps() {
            return loss.size();
        }
    }

    private WarmStart() {}

    /** The warm start of the runs of {@code seed} ({@link ExperimentConfig#warmStartSeed}), kept under {@code dir}. */
    public static Result run(ExperimentConfig config, long seed, Path dir, PrintStream log) {
        long started = System.nanoTime();
        int every = Math.max(1, config.sftSteps() / 4);
        TrainingRun run = new TrainingRun(
                "warm-start", config.warmStartConfig(seed), dir, NO_ROLLOUTS, NO_REPLICAS, new RunListener() {
                    @Override
                    public void onSupervisedStep(long step, long total, double loss) {
                        if (step % every == 0 || step == total) {
                            log.printf("  warm start %d/%d  loss %.3f%n", step, total, loss);
                        }
                    }
                });
        run.run();
        if (run.lastCheckpoint() == null) {
            throw new IllegalStateException("the warm start wrote no checkpoint under " + dir);
        }
        var progress = run.warmStart();
        Double check = progress == null ? null : progress.accuracy();
        return new Result(
                run.lastCheckpoint(),
                run.heldOutBefore(),
                run.supervisedLoss(),
                (System.nanoTime() - started) / 1e9,
                config.warmStartSeed(seed),
                check == null ? Double.NaN : check,
                progress == null ? null : progress.stoppedBecause());
    }

    /** A warm start takes no GSPO step, so it never samples. */
    private static final RolloutSource NO_ROLLOUTS = (prompts, groupSize, sampling, seed, minVersion) -> {
        throw new IllegalStateException("the warm start does not sample");
    };

    /** Nobody serves the warm start's versions. */
    private static final PolicySink NO_REPLICAS = new PolicySink() {
        @Override
        public PublishResult publish(long version, byte[] safetensors, String sha256) {
            return new PublishResult(version, safetensors.length, Duration.ZERO, List.of());
        }

        @Override
        public long highestReplicaVersion() {
            return 0;
        }
    };
}
