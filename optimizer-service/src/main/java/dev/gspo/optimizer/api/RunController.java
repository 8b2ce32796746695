package dev.gspo.optimizer.api;

import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.run.ModelExport;
import dev.gspo.optimizer.run.RunCompletionHook;
import dev.gspo.optimizer.run.RunService;
import dev.gspo.optimizer.run.RunStatus;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
    ResponseEntity<?> start(
            @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            description = "the run config, nested (or the flat form of earlier versions)",
                            content = @Content(schema = @Schema(implementation = RunConfig.class)))
                    @RequestBody(required = false)
                    String body,
            @RequestParam(name = "dryRun", required = false) String dryRun) {
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
    RunService.Page list(
            @RequestParam(name = "limit", required = false) String limit,
            @RequestParam(name = "offset", required = false) String offset) {
        return runs.page(
                number("offset", offset, 0, 0, Integer.MAX_VALUE), number("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT));
    }

    @GetMapping("/{id}")
    RunStatus get(@PathVariable String id) {
        return runs.get(id);
    }

    @GetMapping("/{id}/metrics")
    Map<String, Object> metrics(@PathVariable String id) {
        List<StepMetrics> history = runs.history(id);
        return Map.of("runId", id, "steps", history);
    }

    /**
     * The run's newest checkpoint as a zip of its Hugging Face model directory ({@link ModelExport}); the SHA-256 of
     * {@code model.safetensors} in {@code X-Model-SHA256}, the checkpoint's step in {@code X-Checkpoint-Step}.
     */
    @GetMapping(
            path = "/{id}/model",
            produces = {"application/zip", MediaType.APPLICATION_JSON_VALUE})
    ResponseEntity<StreamingResponseBody> model(@PathVariable String id) {
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
    RunStatus stop(@PathVariable String id) {
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
