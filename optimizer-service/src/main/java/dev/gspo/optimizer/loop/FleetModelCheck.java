package dev.gspo.optimizer.loop;

import dev.gspo.common.model.ModelConfig;
import java.util.List;

/**
 * Whether the fleet serves a model that a run's weights fit (the same architecture and tensor shapes): asked before a
 * run starts, so a run whose pushes every replica would refuse is refused itself, naming both sides.
 */
@FunctionalInterface
public interface FleetModelCheck {
    /** No fleet to ask: every model fits. */
    FleetModelCheck NONE = model -> List.of();

    /** @return one problem per replica that serves a model {@code model}'s weights do not fit; empty if all fit */
    List<String> problems(ModelConfig model);
}
