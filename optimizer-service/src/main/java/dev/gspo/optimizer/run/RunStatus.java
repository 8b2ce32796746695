package dev.gspo.optimizer.run;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.optimizer.loop.PublishError;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.loop.WarmStartProgress;
import dev.gspo.optimizer.loop.WriteError;
import dev.gspo.optimizer.runconfig.RunConfig;
import java.time.Instant;
import java.util.List;

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
 * @param step                 the last completed step; a resume starts at its checkpoint's step, not 0
 * @param startedAt            when the current (latest) attempt started
 * @param attempts             every attempt of the run, oldest first: the first start, then one per resume
 * @param lastPublishError     the latest weight push of this run that a replica did not take (absent: none failed)
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
        RunConfig config,
        List<RunAttempt> attempts,
        PublishError lastPublishError) {

    /** The canonical constructor is the one JSON binds to (records written before the warm-start fields read null). */
    @JsonCreator
    public RunStatus {
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
    }

    /** The same status with another config (the run registry stores the config in its own form). */
    RunStatus withConfig(RunConfig c) {
        return new RunStatus(
                runId,
                state,
                phase,
                step,
                totalSteps,
                policyVersion,
                latest,
                warmStart,
                heldOutAccuracyBefore,
                heldOutAccuracyAfter,
                lastCheckpoint,
                checkpointError,
                latestCheckpointStep,
                checkpointStale,
                lastWriteError,
                writeFailures,
                error,
                startedAt,
                finishedAt,
                c,
                attempts,
                lastPublishError);
    }

    /**
     * A run that was {@code running} when the optimizer stopped (a restart, a crash): it failed, and its last attempt
     * with it, at the latest step known.
     */
    RunStatus interrupted(long atStep, StepMetrics last, Instant lastSeen) {
        String why = "interrupted: the optimizer stopped while attempt " + attempts.size() + " was running (last step "
                + atStep
                + (latestCheckpointStep == null
                        ? ", no checkpoint"
                        : ", last checkpoint at step " + latestCheckpointStep)
                + "); resume it with {\"resumeFrom\": \"" + runId + "\"}";
        List<RunAttempt> all = new java.util.ArrayList<>(attempts);
        if (!all.isEmpty()) {
            RunAttempt a = all.removeLast();
            all.add(new RunAttempt(
                    a.number(),
                    RunState.FAILED,
                    a.fromStep(),
                    Math.max(a.step(), atStep),
                    a.steps(),
                    a.resumedFrom(),
                    a.startedAt(),
                    lastSeen,
                    why));
        }
        return new RunStatus(
                runId,
                RunState.FAILED,
                phase,
                atStep,
                totalSteps,
                last != null ? Math.max(policyVersion, last.policyVersion()) : policyVersion,
                last != null ? last : latest,
                warmStart,
                heldOutAccuracyBefore,
                heldOutAccuracyAfter,
                lastCheckpoint,
                checkpointError,
                latestCheckpointStep,
                checkpointStale,
                lastWriteError,
                writeFailures,
                why,
                startedAt,
                lastSeen,
                config,
                all,
                lastPublishError);
    }
}
