package dev.gspo.optimizer.api;

import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.run.RunCompletionHook;
import dev.gspo.optimizer.run.RunService;
import dev.gspo.optimizer.run.RunStatus;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import java.net.URI;
import java.util.List;
import java.util.Map;
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
    Map<String, List<RunStatus>> list() {
        return Map.of("runs", runs.list());
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

    @PostMapping("/{id}/stop")
    RunStatus stop(@PathVariable String id) {
        return runs.stop(id);
    }
}
