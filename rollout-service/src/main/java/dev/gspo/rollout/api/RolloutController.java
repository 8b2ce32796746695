package dev.gspo.rollout.api;

import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /v1/rollouts}: prompts × groupSize samples with their log-probs, from one policy version. */
@RestController
class RolloutController {
    private final RolloutService service;

    RolloutController(RolloutService service) {
        this.service = service;
    }

    @PostMapping(
            path = "/v1/rollouts",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    RolloutResponse rollouts(@RequestBody RolloutRequest request) {
        return service.rollout(request);
    }
}
