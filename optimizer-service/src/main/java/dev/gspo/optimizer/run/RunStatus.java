package dev.gspo.optimizer.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.runconfig.RunConfig;
import java.time.Instant;

/** {@code GET /v1/runs/{id}}: where a run is. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunStatus(
        String runId,
        RunState state,
        long step,
        long totalSteps,
        long policyVersion,
        StepMetrics latest,
        Double heldOutAccuracyBefore,
        Double heldOutAccuracyAfter,
        String lastCheckpoint,
        String checkpointError,
        String error,
        Instant startedAt,
        Instant finishedAt,
        RunConfig config) {}
