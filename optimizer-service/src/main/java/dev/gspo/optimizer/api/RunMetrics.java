package dev.gspo.optimizer.api;

import dev.gspo.optimizer.loop.StepMetrics;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * {@code GET /v1/runs/{id}/metrics}.
 *
 * @param runId the run
 * @param steps one entry per step so far, in order (a resumed run includes its earlier steps)
 */
record RunMetrics(
        @Schema(description = "the run", requiredMode = Schema.RequiredMode.REQUIRED)
        String runId,

        @Schema(
                description = "one entry per step so far, in order (a resumed run includes its earlier steps)",
                requiredMode = Schema.RequiredMode.REQUIRED)
        List<StepMetrics> steps) {}
