package dev.gspo.optimizer.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * One attempt of a run: the first start, or a resume ({@code resumeFrom}) that continues the run from a checkpoint.
 * Attempts are numbered from 1 and never rewritten once they have ended; {@code GET /v1/runs/{id}} lists them all.
 *
 * @param number      1 for the first start, then one more per resume
 * @param state       {@code running} while it trains, then how it ended; an attempt that was running when the
 *                    optimizer stopped (a restart, a crash) reads {@code failed} with an {@code interrupted: …} error
 * @param fromStep    the step it continued from: 0 for the first attempt, the checkpoint's step for a resume (it trains
 *                    {@code fromStep + 1 … steps})
 * @param step        the last step it completed
 * @param steps       the run's total number of steps during this attempt ({@code steps} of its config)
 * @param resumedFrom the checkpoint directory a resume continued from; absent for the first attempt
 * @param error       why it failed; absent otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunAttempt(
        int number,
        RunState state,
        long fromStep,
        long step,
        long steps,
        String resumedFrom,
        Instant startedAt,
        Instant finishedAt,
        String error) {}
