package dev.gspo.experiments;

import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.loop.TrainingRun;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Runs one arm with one seed: a {@link TrainingRun} resumed from the warm-start checkpoint (weights and AdamW state;
 * no warm start of its own), sampling from and publishing to a fresh {@link InProcessReplica} that starts on the same
 * weights.
 */
public final class ArmRunner {
    private final ExperimentConfig config;
    private final Path runsDir;
    private final PrintStream log;

    public ArmRunner(ExperimentConfig config, Path runsDir, PrintStream log) {
        this.config = config;
        this.runsDir = runsDir;
        this.log = log;
    }

    /** The run of {@code arm} with {@code seed}, {@code steps} GSPO steps from the warm start in {@code modelDir}. */
    public RunResult run(Arm arm, long seed, Path modelDir, int steps) {
        String id =
                arm.mode().wireName() + "-" + arm.setting() + "-" + arm.clip().low() + "-s" + seed + "-n" + steps;
        long started = System.nanoTime();
        try (InProcessReplica replica = InProcessReplica.load(modelDir)) {
            TrainingRun run = new TrainingRun(
                    id,
                    config.runConfig(arm, seed, modelDir, steps),
                    runsDir.resolve(id),
                    new InProcessRollouts(replica),
                    replica,
                    progress(arm, seed, steps));
            run.run();
            return new RunResult(
                    arm,
                    seed,
                    run.history(),
                    run.heldOutBefore(),
                    run.heldOutAfter(),
                    (System.nanoTime() - started) / 1e9);
        }
    }

    private RunListener progress(Arm arm, long seed, int steps) {
        int every = Math.max(1, steps / 4);
        return new RunListener() {
            @Override
            public void onStep(StepMetrics m) {
                if (m.step() % every == 0) {
                    log.printf(
                            Locale.ROOT,
                            "    %-22s seed %d  step %3d/%d  reward %.3f  clip seq %.4f tok %.4f" + "  %.2f s/step%s%n",
                            arm.label() + " " + arm.clipText(),
                            seed,
                            m.step(),
                            m.totalSteps(),
                            m.rewardMean(),
                            m.clipSeqTotal(),
                            m.clipTokTotal(),
                            m.stepSeconds(),
                            Double.isFinite(m.heldOutAccuracy())
                                    ? String.format(Locale.ROOT, "  held-out %.3f", m.heldOutAccuracy())
                                    : "");
                }
            }
        };
    }
}
