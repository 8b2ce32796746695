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

    /** @param modelDir the checkpoint every run starts from; {@code heldOut} its greedy held-out accuracy */
    public record Result(Path modelDir, double heldOut, List<Double> loss, double wallSeconds) {}

    private WarmStart() {}

    public static Result run(ExperimentConfig config, Path dir, PrintStream log) {
        long started = System.nanoTime();
        int every = Math.max(1, config.sftSteps() / 4);
        TrainingRun run = new TrainingRun(
                "warm-start", config.warmStartConfig(), dir, NO_ROLLOUTS, NO_REPLICAS, new RunListener() {
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
        return new Result(
                run.lastCheckpoint(), run.heldOutBefore(), run.supervisedLoss(), (System.nanoTime() - started) / 1e9);
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
