package dev.gspo.optimizer.fleet;

import java.net.URI;
import java.util.List;

/** The rollout replicas the optimizer talks to right now (base URLs such as {@code http://10.0.0.7:8081}). */
@FunctionalInterface
public interface RolloutEndpoints {
    List<URI> current();
}
