package dev.gspo.optimizer.api;

import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.run.ModelExport;
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
import java.nio.file.Path;
import java.util.List;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * Run control (docs/ARCHITECTURE.md §6.3): start (or validate with {@code ?dryRun=true}), list, inspect, stop, resume,
 * export the model. Credentials are checked before this controller (and before the body is read) by
 * {@link RequestGuardFilter}: mutations need the control token, reads the read token when one is configured.
 */
@RestController
@RequestMapping(path = "/v1/runs", produces = MediaType.APPLICATION_JSON_VALUE)
class RunController {
    /** Runs per page of {@code GET /v1/runs} unless {@code limit} says otherwise, and the most it may say. */
    static final int DEFAULT_LIMIT = 50;

    static final int MAX_LIMIT = 1000;

    private final RunService runs;
    private final RunCompletionHook hook;

    RunController(RunService runs, RunCompletionHook hook) {
        this.runs = runs;
        this.hook = hook;
    }

    /**
     * Starts a run (201), or with {@code dryRun=true} checks it exactly as a start would and answers 200 with the
     * resolved config, starting nothing. Validation comes before the busy check: an invalid config is a 422 even while
     * another run is active; a real start while one is active is a 409.
     */
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            summary = "Start a run, resume one, or check one (dryRun)",
            description = "Every field of the config is optional (an empty body means all defaults). Resume: "
                    + "{\"resumeFrom\": \"<run id or checkpoint dir>\", \"steps\": N}, where steps is the new total. "
                    + "With dryRun=true nothing starts: the answer is the resolved config, or the error a start would "
                    + "give (validation first, then the busy check).")
    @ApiResponse(
            responseCode = "201",
            description = "started; the run's status",
            headers = @Header(name = "Location", description = "/v1/runs/{id}", schema = @Schema(type = "string")),
            content = @Content(schema = @Schema(implementation = RunStatus.class)))
    @ApiResponse(
            responseCode = "200",
            description = "dryRun=true: the config is valid; the resolved config, and the run and step it resumes",
            content = @Content(schema = @Schema(implementation = RunService.DryRun.class)))
    @ApiResponse(
            responseCode = "400",
            description = "malformed JSON, an unknown field, a value of the wrong type, or a dryRun that is not "
                    + "true or false")
    @ApiResponse(responseCode = "401", description = "no or a wrong control token")
    @ApiResponse(responseCode = "409", description = "another run is running")
    @ApiResponse(responseCode = "413", description = "the body is larger than gspo.optimizer.max-request-bytes")
    @ApiResponse(responseCode = "415", description = "the body is not application/json")
    @ApiResponse(
            responseCode = "422",
            description = "an invalid config (errors: every problem, each naming its field), a model that does not "
                    + "fit the fleet, or a checkpoint that fails verification")
    ResponseEntity<?> start(
            @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            description = "the run config, nested (or the flat form of earlier versions)",
                            content = @Content(schema = @Schema(implementation = RunConfig.class)))
                    @RequestBody(required = false)
                    String body,
            @Parameter(
                            description = "true: check the config as a start would, start nothing",
                            schema = @Schema(type = "boolean", defaultValue = "false"))
                    @RequestParam(name = "dryRun", required = false)
                    String dryRun) {
        boolean dry = flag("dryRun", dryRun);
        // read by RunConfigJson, not bound by Spring: one reader for the nested and the flat form, strict about
        // duplicate keys, unknown fields and types, and naming the field in every error
        RunConfig config = body == null || body.isBlank() ? RunConfig.empty() : RunConfigJson.read(body);
        if (dry) {
            return ResponseEntity.ok(runs.dryRun(config));
        }
        RunStatus status = runs.start(config, hook::finished);
        return ResponseEntity.created(URI.create("/v1/runs/" + status.runId())).body(status);
    }

    /** A page of runs, newest first: {@code limit} (1…1000, default 50) runs from {@code offset} (default 0). */
    @GetMapping
    @Operation(summary = "A page of runs, newest first")
    @ApiResponse(responseCode = "200", description = "the runs of the page; nextOffset absent on the last page")
    @ApiResponse(responseCode = "400", description = "a limit or offset that is not an integer in its range")
    @ApiResponse(responseCode = "401", description = "a read token is configured and was not sent")
    RunService.Page list(
            @Parameter(
                            description = "runs per page",
                            schema =
                                    @Schema(
                                            type = "integer",
                                            minimum = "1",
                                            maximum = "" + MAX_LIMIT,
                                            defaultValue = "" + DEFAULT_LIMIT))
                    @RequestParam(name = "limit", required = false)
                    String limit,
            @Parameter(
                            description = "how many runs to skip",
                            schema = @Schema(type = "integer", minimum = "0", defaultValue = "0"))
                    @RequestParam(name = "offset", required = false)
                    String offset) {
        return runs.page(
                number("offset", offset, 0, 0, Integer.MAX_VALUE), number("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT));
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

    /**
     * The run's newest checkpoint as a zip of its Hugging Face model directory ({@link ModelExport}); the SHA-256 of
     * {@code model.safetensors} in {@code X-Model-SHA256}, the checkpoint's step in {@code X-Checkpoint-Step}.
     */
    @GetMapping(
            path = "/{id}/model",
            produces = {"application/zip", MediaType.APPLICATION_JSON_VALUE})
    @Operation(summary = "The run's latest model: a zip of its Hugging Face directory (config, weights, tokenizer)")
    @ApiResponse(
            responseCode = "200",
            description = "the zip of the newest checkpoint's model",
            headers = {
                @Header(
                        name = "X-Model-SHA256",
                        description = "lower-case hex SHA-256 of model.safetensors in the zip",
                        schema = @Schema(type = "string")),
                @Header(
                        name = "X-Checkpoint-Step",
                        description = "the step of the exported checkpoint",
                        schema = @Schema(type = "integer", format = "int64")),
                @Header(
                        name = "Content-Disposition",
                        description = "attachment; filename=<run id>-step-<step>.zip",
                        schema = @Schema(type = "string"))
            },
            content = @Content(mediaType = "application/zip", schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "401", description = "a read token is configured and was not sent")
    @ApiResponse(responseCode = "404", description = "no run with this id, or the run has no checkpoint yet")
    ResponseEntity<StreamingResponseBody> model(@Parameter(description = "the run id") @PathVariable String id) {
        Path dir = runs.latestCheckpoint(id)
                .orElseThrow(() -> new ResponseStatusException(
                        HttpStatus.NOT_FOUND, "run " + id + " has no checkpoint yet: nothing to export"));
        ModelExport export = ModelExport.of(dir);
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType("application/zip"))
                .header(
                        HttpHeaders.CONTENT_DISPOSITION,
                        ContentDisposition.attachment()
                                .filename(id + "-step-" + export.step() + ".zip")
                                .build()
                                .toString())
                .header("X-Model-SHA256", export.weightsSha256())
                .header("X-Checkpoint-Step", Long.toString(export.step()))
                .body(export::writeZip);
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

    private static boolean flag(String name, String value) {
        if (value == null || value.equals("false")) {
            return false;
        }
        if (value.isEmpty() || value.equals("true")) {
            return true;
        }
        throw new ResponseStatusException(
                HttpStatus.BAD_REQUEST, name + " must be true or false, got '" + abbreviate(value) + "'");
    }

    private static int number(String name, String value, int absent, int min, int max) {
        if (value == null) {
            return absent;
        }
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the same answer as a number out of range
        }
        throw new ResponseStatusException(
                HttpStatus.BAD_REQUEST,
                name + " must be an integer from " + min + " to " + max + ", got '" + abbreviate(value) + "'");
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
