package dev.gspo.optimizer.fleet;

import java.net.URI;
import java.util.List;

/**
 * What the fleet client needs from the publisher, declared here so that the fleet does not depend on the publisher
 * (the publisher depends on the fleet's endpoints): the replicas to spread a step over, and bringing one that answered
 * 409 (behind) up to the latest published version.
 */
public interface ReplicaSync {
    /** The replicas known now. */
    List<URI> replicas();

    /** Pushes the latest published version to {@code replica}; whether it took it. */
    boolean bringUpToDate(URI replica);
}
