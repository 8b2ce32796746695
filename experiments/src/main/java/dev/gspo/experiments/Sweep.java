package dev.gspo.experiments;

import dev.gspo.common.objective.ClipRange;
import dev.gspo.common.objective.LossMode;
import java.util.Comparator;
import java.util.List;

/**
 * The clip-range sweep on one seed and the ranges it picks: for each swept mode, the candidate with the highest
 * {@link RunMeasures#lateReward late reward} (mean training reward over the second half of the run). GSPO-token has
 * the same sequence ratio as GSPO and takes GSPO's pick.
 */
public record Sweep(List<Candidate> candidates) {

    /** One swept run; {@code chosen} marks the pick of its mode. */
    public record Candidate(RunResult run, double score, boolean chosen) {}

    public static Sweep of(List<RunResult> runs) {
        List<Candidate> out = runs.stream()
                .map(r -> {
                    double score = RunMeasures.lateReward(r);
                    RunResult best = runs.stream()
                            .filter(o -> o.arm().mode() == r.arm().mode())
                            .max(Comparator.comparingDouble(RunMeasures::lateReward))
                            .orElseThrow();
                    return new Candidate(r, score, best == r);
                })
                .toList();
        return new Sweep(out);
    }

    /** The picked range of {@code mode} (GSPO's for GSPO-token); the paper's preset when the mode was not swept. */
    public ClipRange tuned(LossMode mode) {
        LossMode swept = mode == LossMode.GSPO_TOKEN ? LossMode.GSPO : mode;
        return candidates.stream()
                .filter(c -> c.chosen() && c.run().arm().mode() == swept)
                .map(c -> c.run().arm().clip())
                .findFirst()
                .orElse(mode.paperClipRange());
    }
}
