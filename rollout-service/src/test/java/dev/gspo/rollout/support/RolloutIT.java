package dev.gspo.rollout.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * A whole-context test on a random port, over real HTTP. Every such test shares one configuration (so Spring reuses
 * the context across classes): the built-in model with seed 7, a push token, and small limits that tests can reach.
 * Classes that push weights mark themselves {@code @DirtiesContext}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "gspo.rollout.seed=7",
            "gspo.rollout.push-token=" + RolloutIT.PUSH_TOKEN,
            "gspo.rollout.max-prompts-per-request=8",
            "gspo.rollout.max-group-size=16",
            "gspo.rollout.max-new-tokens=32",
            "gspo.rollout.max-batch-sequences=64",
            "gspo.rollout.max-request-bytes=16KB",
            "logging.level.dev.gspo=WARN"
        })
public @interface RolloutIT {
    String PUSH_TOKEN = "test-push-token";
}
