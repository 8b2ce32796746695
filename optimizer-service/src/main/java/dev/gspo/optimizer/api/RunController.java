package dev.gspo.optimizer.api;

import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.run.RunConfig;
import dev.gspo.optimizer.run.RunService;
import dev.gspo.optimizer.run.RunStatus;
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
 * Run control (DESIGN §3): start, list, inspect, stop, resume. Credentials are checked before this controller (and
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
    ResponseEntity<RunStatus> start(@RequestBody(required = false) RunConfig config) {
        RunStatus status = runs.start(config == null ? RunConfig.empty() : config, hook::finished);
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
