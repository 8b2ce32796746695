package dev.gspo.experiments;

import java.util.List;

/**
 * Everything the experiment measured.
 *
 * @param arms        the compared arms, in table order (paper ranges first, then tuned)
 * @param runs        every run of every arm (a run shared by two arms with the same mode and range appears once
 *                    per arm)
 * @param startReward r₀: mean step-1 training reward over all runs (every arm samples step 1 from the same policy
 *                    with the same seed, so r₀ is what the warm start scores at the sampling temperature)
 * @param threshold   τ = r₀ + δ
 * @param executedRuns training runs actually run (sweep and arms, each (mode, range, seed) once)
 * @param commandLine  the command that produced it
 * @param ranOn        the date it ran (ISO)
 * @param warmStarts   every warm start, one per seed with a base ({@link ExperimentConfig#warmStartSeed}), in seed
 *                     order; {@code warmStart} is the first seed's (null in results written before: then
 *                     {@code warmStart} served every seed)
 * @param lrSweep      the MoE experiment's learning-rate calibration (empty for the dense experiment and for results
 *                     written before it existed)
 */
public record ExperimentResult(
        ExperimentConfig config,
        WarmStart.Result warmStart,
        Sweep sweep,
        List<Arm> arms,
        List<RunResult> runs,
        double startReward,
        double threshold,
        int executedRuns,
        double wallSeconds,
        String commandLine,
        String ranOn,
        List<WarmStart.Result> warmStarts,
        LrSweep lrSweep) {

    @com.fasterxml.jackson.annotation.JsonCreator
    public ExperimentResult {
        warmStarts = warmStarts == null ? List.of(warmStart) : List.copyOf(warmStarts);
        lrSweep = lrSweep == null ? new LrSweep(List.of()) : lrSweep;
    }

    /** Everything but an MoE calibration (the dense experiment). */
    public ExperimentResult(
            ExperimentConfig config,
            WarmStart.Result warmStart,
            Sweep sweep,
            List<Arm> arms,
            List<RunResult> runs,
            double startReward,
            double threshold,
            int executedRuns,
            double wallSeconds,
            String commandLine,
            String ranOn,
            List<WarmStart.Result> warmStarts) {
        this(
                config,
                warmStart,
                sweep,
                arms,
                runs,
                startReward,
                threshold,
                executedRuns,
                wallSeconds,
                commandLine,
                ranOn,
                warmStarts,
                null);
    }

    /** The MoE experiment's calibrated learning rate lr*: the calibration's pick, else the configured one. */
    public double calibratedLr() {
        return lrSweep.chosen(config.learningRate());
    }

    /** The learning rate of the MoE experiment's harsher regime: lr* · harshLrFactor. */
    public double harshLr() {
        return calibratedLr() * config.moeSpec().harshLrFactor();
    }

    /** The warm start the runs of {@code seed} started from. */
    public WarmStart.Result warmStartOf(long seed) {
        long s = config.warmStartSeed(seed);
        return warmStarts.stream()
                .filter(w -> w.seed() == null || w.seed() == s)
                .findFirst()
                .orElse(warmStart);
    }

    /**
     * The same results under another config: another output file, or other analysis knobs (window w, gain δ; the
     * threshold becomes r₀ + δ). The training knobs must be those the runs had.
     */
    public ExperimentResult withConfig(ExperimentConfig other) {
        return new ExperimentResult(
                other,
                warmStart,
                sweep,
                arms,
                runs,
                startReward,
                startReward + other.rewardGain(),
                executedRuns,
                wallSeconds,
                commandLine,
                ranOn,
                warmStarts,
                lrSweep);
    }

    public List<RunResult> runsOf(Arm arm) {
        return runs.stream().filter(r -> r.arm().equals(arm)).toList();
    }

    public List<Arm> armsOf(String setting) {
        return arms.stream().filter(a -> a.setting().equals(setting)).toList();
    }

    public ArmSummary summary(Arm arm) {
        return ArmSummary.of(arm, runsOf(arm), threshold, config.window());
    }

    public List<ArmSummary> summaries() {
        return arms.stream().map(this::summary).toList();
    }
}
