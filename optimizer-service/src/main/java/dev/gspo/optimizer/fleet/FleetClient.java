package dev.gspo.optimizer.fleet;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.FinishReason;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.wire.PromptInput;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.common.wire.Sample;
import dev.gspo.common.wire.SampleGroup;
import dev.gspo.common.wire.SamplingSpec;
import dev.gspo.optimizer.loop.RolloutBatch;
import dev.gspo.optimizer.loop.RolloutSource;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets a step's rollouts from the fleet: the prompts are cut into one contiguous share per available replica (its
 * circuit closed: {@link ReplicaHealth}), the shares are requested in parallel ({@code POST /v1/rollouts}), each with a
 * timeout from its size ({@link RolloutTimeouts}), and a share whose replica fails, times out or answers 5xx moves on
 * to the next replica, at most {@code maxAttempts} times; that replica's circuit opens, so the next steps do not wait
 * for it. Replicas whose circuit is open are tried last, only when the available ones failed (or none is available). A replica that answers 409 because it serves an older
 * version than the trainer's (it was down during a publish, or just started) is brought up to date by the publisher
 * first, then asked again.
 *
 * <p>Each share carries its own seed derived from the step seed and the share's index, so a retried share returns
 * the same samples on whichever replica serves it (same version, same seed).
 */
public final class FleetClient implements RolloutSource {
    private static final Logger log = LoggerFactory.getLogger(FleetClient.class);

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final HttpClient http;
    private final ReplicaSync publisher;
    private final RolloutTimeouts timeouts;
    private final int maxAttempts;
    private final ExecutorService executor;
    private final FleetListener listener;
    private final ReplicaHealth health;
    private final ReplicaSync adapters;

    /** Every request with the same timeout, no replica ever skipped. */
    public FleetClient(
            HttpClient http,
            ReplicaSync publisher,
            Duration timeout,
            int maxAttempts,
            ExecutorService executor,
            FleetListener listener) {
        this(http, publisher, RolloutTimeouts.fixed(timeout), maxAttempts, executor, listener, null);
    }

    /** @param health the replicas' circuits (null: every replica always available) */
    public FleetClient(
            HttpClient http,
            ReplicaSync publisher,
            RolloutTimeouts timeouts,
            int maxAttempts,
            ExecutorService executor,
            FleetListener listener,
            ReplicaHealth health) {
        this(http, publisher, timeouts, maxAttempts, executor, listener, health, publisher);
    }

    /**
     * @param adapters brings a replica up to date when it answers a request for a named adapter with 404 (it does not
     *                 hold the adapter: it restarted) or 409 (it holds an older version)
     */
    public FleetClient(
            HttpClient http,
            ReplicaSync publisher,
            RolloutTimeouts timeouts,
            int maxAttempts,
            ExecutorService executor,
            FleetListener listener,
            ReplicaHealth health,
            ReplicaSync adapters) {
        this.adapters = adapters;
        this.http = http;
        this.publisher = publisher;
        this.timeouts = timeouts;
        this.maxAttempts = Math.max(1, maxAttempts);
        this.executor = executor;
        this.listener = listener;
        this.health = health;
    }

    @Override
    public RolloutBatch sample(
            List<String> prompts, int groupSize, SamplingParams sampling, long seed, long minPolicyVersion) {
        return sample(prompts, groupSize, sampling, seed, minPolicyVersion, null);
    }

    @Override
    public RolloutBatch sample(
            List<String> prompts,
            int groupSize,
            SamplingParams sampling,
            long seed,
            long minPolicyVersion,
            String adapter) {
        List<URI> replicas = publisher.replicas();
        if (replicas.isEmpty()) {
            throw new FleetException("no rollout replica is known (check gspo.optimizer.rollout-urls / rollout-dns)");
        }
        List<URI> available = health == null ? replicas : health.available(replicas);
        List<URI> first = available.isEmpty() ? replicas : available;
        List<URI> last = replicas.stream().filter(r -> !first.contains(r)).toList();
        int shares = Math.min(first.size(), prompts.size());
        List<CompletableFuture<RolloutResponse>> futures = new ArrayList<>();
        for (int s = 0; s < shares; s++) {
            int from = s * prompts.size() / shares;
            int to = (s + 1) * prompts.size() / shares;
            List<PromptInput> inputs = new ArrayList<>();
            for (int i = from; i < to; i++) {
                inputs.add(PromptInput.text(Integer.toString(i), prompts.get(i)));
            }
            RolloutRequest request = new RolloutRequest(
                    inputs,
                    groupSize,
                    new SamplingSpec(
                            sampling.maxNewTokens(),
                            sampling.temperature(),
                            sampling.topP(),
                            sampling.topK(),
                            shareSeed(seed, s),
                            sampling.stop()),
                    minPolicyVersion,
                    adapter);
            List<URI> order = new ArrayList<>();
            for (int i = 0; i < first.size(); i++) {
                order.add(first.get((s + i) % first.size()));
            }
            order.addAll(last);
            Duration timeout = timeouts.forRequest(to - from, groupSize, sampling.maxNewTokens());
            futures.add(CompletableFuture.supplyAsync(() -> requestShare(order, request, timeout), executor));
        }
        List<RolloutBatch.Group> groups = new ArrayList<>();
        long version = Long.MAX_VALUE;
        try {
            for (CompletableFuture<RolloutResponse> f : futures) {
                RolloutResponse r = f.join();
                version = Math.min(version, r.policyVersion());
                for (SampleGroup g : r.groups()) {
                    groups.add(new RolloutBatch.Group(
                            g.promptTokenIds(),
                            r.policyVersion(),
                            g.samples().stream().map(FleetClient::toCompletion).toList()));
                }
            }
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
        return new RolloutBatch(version, groups);
    }

    /** Tries the share's own replica first, then the next ones in turn. */
    private RolloutResponse requestShare(List<URI> replicas, RolloutRequest request, Duration timeout) {
        String lastError = "";
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        for (int attempt = 0; attempt < maxAttempts; attempt++) {
            URI replica = replicas.get(attempt % replicas.size());
            for (int tries = 0; tries < 2; tries++) { // a second try only after bringing a stale replica up to date
                long start = System.nanoTime();
                try {
                    HttpResponse<byte[]> response = http.send(
                            HttpRequest.newBuilder(replica.resolve("/v1/rollouts"))
                                    .timeout(timeout)
                                    .header("Content-Type", "application/json")
                                    .header("Accept", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                    .build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    double seconds = (System.nanoTime() - start) / 1e9;
                    int status = response.statusCode();
                    if (status == 200) {
                        listener.onRequest(replica, "ok", seconds);
                        RolloutResponse answer = JSON.readValue(response.body(), RolloutResponse.class);
                        if (health != null) {
                            health.succeeded(replica, System.nanoTime() - start);
                            if (request.adapter() == null) { // a named adapter's versions are its own
                                health.serves(replica, answer.policyVersion());
                            }
                        }
                        return answer;
                    }
                    lastError = replica + " answered " + status + ": " + abbreviate(new String(response.body()));
                    boolean named = request.adapter() != null;
                    if ((status == 409 || (named && status == 404)) && tries == 0) {
                        listener.onRequest(replica, "behind", seconds);
                        if ((named ? adapters : publisher).bringUpToDate(replica)) {
                            continue;
                        }
                    } else if (status == 400 || status == 413 || status == 422) {
                        listener.onRequest(replica, "rejected", seconds);
                        throw new FleetException("the rollout request was refused: " + lastError);
                    } else {
                        listener.onRequest(replica, "error", seconds);
                        failed(replica, start, new FleetException(lastError));
                    }
                } catch (IOException e) {
                    listener.onRequest(replica, "error", (System.nanoTime() - start) / 1e9);
                    lastError = replica + ": " + e.getClass().getSimpleName() + " " + e.getMessage();
                    failed(replica, start, e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new FleetException("interrupted while waiting for " + replica);
                }
                break;
            }
        }
        throw new FleetException(
                "no replica served a share of the step after " + maxAttempts + " attempts; last: " + lastError);
    }

    /** A request that failed or timed out is logged (what an operator reads first) and opens the replica's circuit. */
    private void failed(URI replica, long start, Throwable cause) {
        log.warn(
                "rollout request to {} failed after {} ms: {}",
                replica,
                (System.nanoTime() - start) / 1_000_000,
                cause.getClass().getSimpleName() + " " + cause.getMessage());
        if (health != null) {
            health.failed(replica, System.nanoTime() - start, cause);
        }
    }

    private static Completion toCompletion(Sample s) {
        return new Completion(s.tokenIds(), s.text(), s.logprobs(), FinishReason.fromWire(s.finishReason()));
    }

    /**
     * The request seed of share {@code share} of a step seeded with {@code seed} (a SplitMix64 finaliser); a replica
     * then seeds sample j of its prompt i with {@code Seeds.forSample(shareSeed, i, j)}.
     */
    public static long shareSeed(long seed, int share) {
        long z = seed + 0x9E3779B97F4A7C15L * (share + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 31);
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
