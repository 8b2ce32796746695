package dev.gspo.optimizer.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.loop.WarmStartProgress;
import dev.gspo.optimizer.loop.WriteError;
import dev.gspo.optimizer.runconfig.RunConfig;
import java.time.Instant;

/**
 * {@code GET /v1/runs/{id}}: where a run is.
 *
 * @param phase                {@code warm-start} while the supervised warm start runs, then {@code gspo}
 * @param warmStart            the warm start's progress (step k of at most N, loss, the latest check accuracy), or
 *                             where it stopped and why; absent for a run without one
 * @param latestCheckpointStep the step of the newest checkpoint this run wrote whole (absent: none yet)
 * @param checkpointStale      the latest checkpoint attempt failed, so the newest good one is older than it should be
 *                             (a "completed" run with a stale checkpoint did not save its final weights)
 * @param lastWriteError       the latest run file (checkpoint, {@code metrics.jsonl}, report) that could not be
 *                             written; the run went on
 * @param writeFailures        how many run-file writes failed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunStatus(
        String runId,
        RunState state,
        String phase,
        long step,
        long totalSteps,
        long policyVersion,
        StepMetrics latest,
        WarmStartProgress warmStart,
        Double heldOutAccuracyBefore,
        Double heldOutAccuracyAfter,
        String lastCheckpoint,
        String checkpointError,
        Long latestCheckpointStep,
        boolean checkpointStale,
        WriteError lastWriteError,
        long writeFailures,
        String error,
        Instant startedAt,
        Instant finishedAt,
        RunConfig config) {}
