package dev.gspo.optimizer.api;

import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.run.RunCompletionHook;
import dev.gspo.optimizer.run.RunService;
import dev.gspo.optimizer.run.RunStatus;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import java.net.URI;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Run control (docs/ARCHITECTURE.md §6.3): start, list, inspect, stop, resume. Credentials are checked before this controller (and
 * before the body is read) by {@link RequestGuardFilter}: mutations need the control token, reads the read token when
 * one is configured.
 */
@RestController
@RequestMapping(path = "/v1/runs", produces = MediaType.APPLICATION_JSON_VALUE)
class RunController {
    private final RunService runs;
    private final RunCompletionHook hook;

    RunController(RunService runs, RunCompletionHook hook) {
        this.runs = runs;
        this.hook = hook;
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            summary = "Start a run, or resume one",
            description = "Every field of the config is optional (an empty body means all defaults). Resume: "
                    + "{\"resumeFrom\": \"<run id or checkpoint dir>\", \"steps\": N}, where steps is the new total.")
    @ApiResponse(
            responseCode = "201",
            description = "started; the run's status",
            headers = @Header(name = "Location", description = "/v1/runs/{id}", schema = @Schema(type = "string")),
            content = @Content(schema = @Schema(implementation = RunStatus.class)))
    @ApiResponse(responseCode = "400", description = "malformed JSON, an unknown field or a value of the wrong type")
    @ApiResponse(responseCode = "401", description = "no or a wrong control token")
    @ApiResponse(responseCode = "409", description = "another run is running")
    @ApiResponse(responseCode = "413", description = "the body is larger than gspo.optimizer.max-request-bytes")
    @ApiResponse(responseCode = "415", description = "the body is not application/json")
    @ApiResponse(
            responseCode = "422",
            description = "an invalid config (errors: every problem, each naming its field) or a checkpoint "
                    + "that fails verification")
    ResponseEntity<RunStatus> start(
            @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            description = "the run config, nested (or the flat form of earlier versions)",
                            content = @Content(schema = @Schema(implementation = RunConfig.class)))
                    @RequestBody(required = false)
                    String body) {
        // read by RunConfigJson, not bound by Spring: one reader for the nested and the flat form, strict about
        // duplicate keys, unknown fields and types, and naming the field in every error
        RunConfig config = body == null || body.isBlank() ? RunConfig.empty() : RunConfigJson.read(body);
        RunStatus status = runs.start(config, hook::finished);
        return ResponseEntity.created(URI.create("/v1/runs/" + status.runId())).body(status);
    }

    @GetMapping
    @Operation(summary = "Every run")
    @ApiResponse(responseCode = "200", description = "the runs")
    @ApiResponse(responseCode = "401", description = "a read token is configured and was not sent")
    RunList list() {
        return new RunList(runs.list());
    }

    @GetMapping("/{id}")
    @Operation(summary = "A run's status")
    @ApiResponse(responseCode = "200", description = "the run's status")
    @ApiResponse(responseCode = "401", description = "a read token is configured and was not sent")
    @ApiResponse(responseCode = "404", description = "no run with this id")
    RunStatus get(@Parameter(description = "the run id, run-YYYYMMDD-HHMMSS-xxxx") @PathVariable String id) {
        return runs.get(id);
    }

    @GetMapping("/{id}/metrics")
    @Operation(summary = "A run's metrics, one entry per step")
    @ApiResponse(responseCode = "200", description = "the run's steps")
    @ApiResponse(responseCode = "401", description = "a read token is configured and was not sent")
    @ApiResponse(responseCode = "404", description = "no run with this id")
    RunMetrics metrics(@Parameter(description = "the run id") @PathVariable String id) {
        List<StepMetrics> history = runs.history(id);
        return new RunMetrics(id, history);
    }

    @PostMapping("/{id}/stop")
    @Operation(summary = "Stop a run after its current step, with a checkpoint")
    @ApiResponse(responseCode = "200", description = "the run's status")
    @ApiResponse(responseCode = "401", description = "no or a wrong control token")
    @ApiResponse(responseCode = "404", description = "no run with this id")
    @ApiResponse(responseCode = "409", description = "the run is not running")
    RunStatus stop(@Parameter(description = "the run id") @PathVariable String id) {
        return runs.stop(id);
    }
}
