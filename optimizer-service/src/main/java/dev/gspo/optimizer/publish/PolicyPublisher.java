package dev.gspo.optimizer.publish;

import dev.gspo.optimizer.fleet.RolloutEndpoints;
import dev.gspo.optimizer.loop.PolicySink;
import dev.gspo.optimizer.loop.PublishResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Keeps the fleet on the trainer's latest version: publishes each new version to every replica the endpoints name
 * now, and brings a single replica up to date when it turns out to be behind (a replica that was down during a
 * publish, or one that just started).
 */
public final class PolicyPublisher implements PolicySink {

    /** The latest published weights; serialised once per version, shared by every push. */
    public record Publication(long version, byte[] safetensors, String sha256) {}

    private final RolloutEndpoints endpoints;
    private final WeightPublisher publisher;
    private final HttpClient http;
    private final Duration timeout;
    private final Consumer<PublishResult> listener;
    private volatile Publication latest;

    public PolicyPublisher(
            RolloutEndpoints endpoints,
            WeightPublisher publisher,
            HttpClient http,
            Duration timeout,
            Consumer<PublishResult> listener) {
        this.endpoints = endpoints;
        this.publisher = publisher;
        this.http = http;
        this.timeout = timeout;
        this.listener = listener;
    }

    @Override
    public PublishResult publish(long version, byte[] safetensors, String sha256) {
        latest = new Publication(version, safetensors, sha256);
        PublishResult result = publisher.publish(endpoints.current(), version, safetensors, sha256);
        listener.accept(result);
        return result;
    }

    /** Pushes the latest version to one replica; false when it could not be brought up to date. */
    public boolean bringUpToDate(URI replica) {
        Publication p = latest;
        if (p == null) {
            return false;
        }
        PublishResult.Replica r = publisher.pushWithRetries(replica, p.version(), p.safetensors(), p.sha256());
        listener.accept(new PublishResult(p.version(), p.safetensors().length, Duration.ZERO, List.of(r)));
        return r.ok();
    }

    /** The highest version any reachable replica serves (a new run must publish above it: versions only go up). */
    @Override
    public long highestReplicaVersion() {
        long max = 0;
        for (URI replica : endpoints.current()) {
            OptionalLong v = ReplicaVersion.of(http, replica, timeout);
            if (v.isPresent()) {
                max = Math.max(max, v.getAsLong());
            }
        }
        return max;
    }

    public List<URI> replicas() {
        return endpoints.current();
    }

    public Publication latest() {
        return latest;
    }
}
