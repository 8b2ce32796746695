package dev.gspo.experiments;

import dev.gspo.common.objective.LossMode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The MoE experiment, the paper's third claim (docs/ALGORITHM.md §14, claim 3; routing replay: §11): GSPO trains an
 * MoE policy stably without routing replay, GRPO needs it.
 *
 * <pre>
 *   1. warm start (once): the built-in qwen3_moe policy ("moe")        → model dir M
 *   2. for each seed s, each arm, a run from M with the same prompts, rollout seeds and budget:
 *        gspo, no replay  (paper range 3e-4 / 4e-4)
 *        grpo, no replay  (paper range 0.2 / 0.27)
 *        grpo, replay     (paper range 0.2 / 0.27; π_θ uses π_old's experts)
 * </pre>
 *
 * Each run records, per step, the share of (token, sparse layer) pairs whose expert set moved between π_old and π_θ
 * ({@code StepMetrics.expertChangeShare}); with replay it is what π_θ would have chosen, not what it used.
 */
public final class MoeExperiment {
    /** The setting of the arms without routing replay. */
    public static final String FREE = "moe";
    /** The setting of the arm with routing replay ({@link Arm#routingReplay()}). */
    public static final String REPLAY = "moe-replay";

    private final ExperimentConfig config;
    private final PrintStream log;
    private final String commandLine;

    public MoeExperiment(ExperimentConfig config, PrintStream log, String commandLine) {
        this.config = config;
        this.log = log;
        this.commandLine = commandLine;
    }

    /** The three arms, in table order. */
    public static List<Arm> arms() {
        return List.of(
                new Arm(LossMode.GSPO, FREE, LossMode.GSPO.paperClipRange()),
                new Arm(LossMode.GRPO, FREE, LossMode.GRPO.paperClipRange()),
                new Arm(LossMode.GRPO, REPLAY, LossMode.GRPO.paperClipRange()));
    }

    public ExperimentResult run() {
        long started = System.nanoTime();
        log.printf(
                "moe experiment: warm start of the built-in %s model (%d supervised steps)%n",
                config.modelName(), config.sftSteps());
        WarmStart.Result warm =
                WarmStart.run(config, config.modelSeed(), config.workDir().resolve("warm-start"), log);
        log.printf(
                Locale.ROOT,
                "moe experiment: warm start done in %.0f s, held-out accuracy %.3f (%s)%n",
                warm.wallSeconds(),
                warm.heldOut(),
                warm.modelDir());
        ArmRunner runner = new ArmRunner(config, config.workDir().resolve("runs"), log);
        List<RunResult> runs = new ArrayList<>();
        for (long seed : config.seedList()) {
            for (Arm arm : arms()) {
                log.printf(
                        "  %s seed %d (run %d of %d)%n",
                        arm.legend(), seed, runs.size() + 1, config.seeds() * arms().size());
                RunResult r = runner.run(arm, seed, warm.modelDir(), config.steps());
                log.printf(
                        Locale.ROOT,
                        "  → held-out %.3f → %.3f, final reward %.3f, clip tok %.4f, experts changed "
                                + "%.4f, %.0f s%n",
                        r.heldOutBefore(),
                        r.heldOutAfter(),
                        RunMeasures.finalReward(r, config.window()),
                        RunMeasures.clipToken(r),
                        RunMeasures.expertChange(r),
                        r.wallSeconds());
                runs.add(r);
            }
        }
        double r0 = runs.stream()
                .mapToDouble(r -> r.steps().getFirst().rewardMean())
                .average()
                .orElse(Double.NaN);
        return new ExperimentResult(
                config,
                warm,
                new Sweep(List.of()),
                arms(),
                runs,
                r0,
                r0 + config.rewardGain(),
                runs.size(),
                (System.nanoTime() - started) / 1e9,
                commandLine,
                java.time.LocalDate.now().toString(),
                List.of(warm));
    }
}
