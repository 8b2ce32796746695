package dev.gspo.optimizer.loop;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/** What one publish of a version achieved, replica by replica. */
public record PublishResult(long version, long bytes, Duration duration, List<Replica> replicas) {

    /** @param attempts how many PUTs it took; {@code error} is null when the replica took the version */
    public record Replica(URI endpoint, boolean ok, int attempts, String error) {}

    public long failures() {
        return replicas.stream().filter(r -> !r.ok()).count();
    }

    public long retries() {
        return replicas.stream().mapToLong(r -> r.attempts() - 1).sum();
    }
}
