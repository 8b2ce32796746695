package dev.gspo.rollout.support;

import dev.gspo.rollout.config.RolloutProperties;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@link RolloutProperties} bound as Spring binds them: the documented defaults, with the given keys changed. */
public final class TestProperties {
    private TestProperties() {}

    /** @param keyValues {@code "push-token", "s3cret", …}: keys below {@code gspo.rollout.} and their values */
    public static RolloutProperties of(String... keyValues) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put("gspo.rollout." + keyValues[i], keyValues[i + 1]);
        }
        return new Binder(new MapConfigurationPropertySource(map))
                .bindOrCreate("gspo.rollout", RolloutProperties.class);
    }
}
