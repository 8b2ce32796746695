package dev.gspo.optimizer.reward;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.reward.HttpRewardSpec;
import dev.gspo.common.reward.Reward;
import dev.gspo.common.reward.RewardInput;
import dev.gspo.common.reward.RewardScores;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The client of a reward server ({@code "fn": "http"}), remote reward contract v1: {@code POST <url>} with
 * {@code {"items":[{"id","prompt","response","answer","metadata"}]}} and header {@value #API_HEADER}:
 * {@value #API_VERSION}, answered by {@code {"scores":[{"id","score","components"?}]}} (README "Rewards",
 * {@code docs/reward-api/v1.schema.json}).
 *
 * <ul>
 *   <li><b>Batches</b>: a step's responses go in requests of at most {@code batchSize} items, at most
 *       {@code maxConcurrency} of them in flight at once.</li>
 *   <li><b>Timeout</b>: each request, body included, must be answered within {@code timeoutSeconds}.</li>
 *   <li><b>Retries</b>: a connection error, a timeout, 408, 429 or a 5xx is tried again, at most {@code maxAttempts}
 *       times per batch, after 0.2 s, 0.4 s, 0.8 s, … (at most 5 s; a {@code Retry-After} in seconds is honoured up
 *       to 30 s). Any other status (400, 401, 403, 404, 3xx: redirects are not followed) and a malformed answer fail
 *       at once: asking again would get the same.</li>
 *   <li><b>Answers</b> are checked whole: JSON, one score per item id (any order; no id missing, unknown or twice),
 *       every score and component a finite number, at most {@value #MAX_COMPONENTS} component names. Fields the
 *       contract does not name are ignored.</li>
 *   <li><b>Failure</b> is a {@link RewardException} naming the function, the URL and what was wrong; there is no
 *       fallback score. The token is sent only in the {@code Authorization} header: it is in no message, and an answer
 *       that echoes it has it replaced by {@code ***} before any of it is quoted.</li>
 * </ul>
 */
public final class RemoteRewardClient implements Reward {
    public static final String API_HEADER = "Gspo-Reward-Api";
    public static final String API_VERSION = "v1";
    /** The most distinct component names one function may report (each becomes a metric series). */
    public static final int MAX_COMPONENTS = 16;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final long MAX_RETRY_AFTER_SECONDS = 30;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final URI url;
    private final HttpClient http;
    private final String token;
    private final Duration timeout;
    private final int batchSize;
    private final int maxConcurrency;
    private final int maxAttempts;
    private final Duration backoff;

    /**
     * @param spec    a spec with defaults applied and no problems
     * @param token   the bearer token, or null for none
     * @param backoff the wait before the second attempt (doubled each time)
     */
    RemoteRewardClient(HttpRewardSpec spec, HttpClient http, String token, Duration backoff) {
        this.name = spec.name();
        this.url = spec.uri();
        this.http = http;
        this.token = token == null || token.isEmpty() ? null : token;
        this.timeout = Duration.ofMillis(Math.max(1, Math.round(spec.timeoutSeconds() * 1000)));
        this.batchSize = spec.batchSize();
        this.maxConcurrency = spec.maxConcurrency();
        this.maxAttempts = spec.maxAttempts();
        this.backoff = backoff;
    }

    @Override
    public RewardScores score(List<RewardInput> inputs) {
        int n = inputs.size();
        double[] scores = new double[n];
        Map<String, double[]> components = new LinkedHashMap<>();
        if (n == 0) {
            return RewardScores.of(scores);
        }
        List<Future<Answer>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Semaphore inFlight = new Semaphore(maxConcurrency);
            for (int from = 0; from < n; from += batchSize) {
                List<RewardInput> batch = inputs.subList(from, Math.min(n, from + batchSize));
                futures.add(pool.submit(() -> {
                    inFlight.acquire();
                    try {
                        return scoreBatch(batch);
                    } finally {
                        inFlight.release();
                    }
                }));
            }
            int offset = 0;
            for (Future<Answer> f : futures) {
                Answer a = await(f, pool);
                System.arraycopy(a.scores, 0, scores, offset, a.scores.length);
                for (Map.Entry<String, double[]> c : a.components.entrySet()) {
                    double[] all = components.get(c.getKey());
                    if (all == null) {
                        if (components.size() == MAX_COMPONENTS) {
                            throw fail("the answers name more than " + MAX_COMPONENTS + " components (" + MAX_COMPONENTS
                                    + " are kept as metrics at most): " + components.keySet() + " and '" + c.getKey()
                                    + "'");
                        }
                        all = new double[n];
                        Arrays.fill(all, Double.NaN);
                        components.put(c.getKey(), all);
                    }
                    System.arraycopy(c.getValue(), 0, all, offset, a.scores.length);
                }
                offset += a.scores.length;
            }
        }
        return new RewardScores(scores, components);
    }

    /**
     * Sends an empty batch ({@code {"items":[]}}), once, as {@code POST /v1/runs} does before it starts a run: the
     * server must answer 2xx with {@code {"scores":[]}}.
     *
     * @return what is wrong, or null when the server answered as the contract says
     */
    public String probe() {
        try {
            Exchange e = send(List.of(), timeout.compareTo(PROBE_TIMEOUT) < 0 ? timeout : PROBE_TIMEOUT);
            if (e.status / 100 != 2) {
                return "the reward server " + url + " answered HTTP " + e.status + " to an empty batch" + hint(e.status)
                        + ": " + excerpt(e.body);
            }
            parse(List.of(), e.body);
            return null;
        } catch (RewardException e) {
            return e.getMessage();
        } catch (TimeoutException e) {
            return "the reward server " + url + " did not answer an empty batch within " + seconds(PROBE_TIMEOUT);
        } catch (IOException e) {
            return "cannot reach the reward server " + url + ": " + describe(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while probing the reward server " + url;
        }
    }

    public URI url() {
        return url;
    }

    /** One batch, with retries. */
    private Answer scoreBatch(List<RewardInput> batch) throws InterruptedException {
        String lastError = "";
        long retryAfter = -1;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            if (attempt > 1) {
                Thread.sleep(wait(attempt, retryAfter));
            }
            retryAfter = -1;
            try {
                Exchange e = send(batch, timeout);
                if (e.status / 100 == 2) {
                    return parse(batch, e.body);
                }
                lastError = "HTTP " + e.status + hint(e.status) + ": " + excerpt(e.body);
                if (!(e.status == 408 || e.status == 429 || e.status / 100 == 5)) {
                    throw fail(lastError);
                }
                retryAfter = e.retryAfter.orElse(-1);
            } catch (TimeoutException e) {
                lastError = "no complete answer within " + seconds(timeout);
            } catch (IOException e) {
                lastError = describe(e);
            }
        }
        throw fail(lastError + (maxAttempts > 1 ? " (" + maxAttempts + " attempts)" : ""));
    }

    private record Exchange(int status, byte[] body, OptionalLong retryAfter) {}

    private Exchange send(List<RewardInput> batch, Duration limit)
            throws IOException, InterruptedException, TimeoutException {
        List<RewardWire.Item> items = new ArrayList<>(batch.size());
        for (RewardInput in : batch) {
            items.add(new RewardWire.Item(in.id(), in.prompt(), in.response(), in.answer(), in.metadata()));
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(url)
                .timeout(limit)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .header(API_HEADER, API_VERSION)
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(new RewardWire.Request(items))));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        // the request's own timeout ends at the headers; the future's bounds the whole exchange, body included
        CompletableFuture<HttpResponse<byte[]>> future =
                http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        try {
            HttpResponse<byte[]> r = future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            return new Exchange(r.statusCode(), r.body(), r.headers().firstValueAsLong("Retry-After"));
        } catch (TimeoutException e) {
            future.cancel(true);
            throw e;
        } catch (InterruptedException e) {
            future.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof java.net.http.HttpTimeoutException) {
                throw new TimeoutException();
            }
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException(cause);
        }
    }

    private record Answer(double[] scores, Map<String, double[]> components) {}

    /** Reads an answer to {@code batch}; every problem is a {@link RewardException} that says where it is. */
    private Answer parse(List<RewardInput> batch, byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw malformed("not JSON (" + e.getOriginalMessage() + "): " + excerpt(body));
        } catch (IOException e) {
            throw malformed("unreadable: " + e.getMessage());
        }
        if (root == null || !root.isObject() || !root.path("scores").isArray()) {
            throw malformed("expected an object with a \"scores\" array, got " + excerpt(body));
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            index.put(batch.get(i).id(), i);
        }
        double[] scores = new double[batch.size()];
        boolean[] seen = new boolean[batch.size()];
        Map<String, double[]> components = new LinkedHashMap<>();
        JsonNode list = root.get("scores");
        for (int j = 0; j < list.size(); j++) {
            JsonNode s = list.get(j);
            String at = "scores[" + j + "]";
            if (!s.isObject() || !s.path("id").isTextual()) {
                throw malformed(at + ": expected an object with a string \"id\", got " + abbreviate(s.toString()));
            }
            String id = s.get("id").asText();
            Integer i = index.get(id);
            if (i == null) {
                throw malformed(at + ".id: '" + abbreviate(id) + "' was not in the request");
            }
            if (seen[i]) {
                throw malformed(at + ".id: '" + id + "' is scored twice");
            }
            seen[i] = true;
            scores[i] = finite(s.get("score"), at + ".score");
            JsonNode parts = s.get("components");
            if (parts != null && !parts.isNull()) {
                if (!parts.isObject()) {
                    throw malformed(
                            at + ".components: expected an object of numbers, got " + abbreviate(parts.toString()));
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = parts.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> c = it.next();
                    if (c.getKey().isEmpty() || c.getKey().length() > 64) {
                        throw malformed(at + ".components: a name must have 1 to 64 characters, got '"
                                + abbreviate(c.getKey()) + "'");
                    }
                    double[] values = components.get(c.getKey());
                    if (values == null) {
                        if (components.size() == MAX_COMPONENTS) {
                            throw malformed(at + ".components: more than " + MAX_COMPONENTS + " distinct names");
                        }
                        values = new double[batch.size()];
                        Arrays.fill(values, Double.NaN);
                        components.put(c.getKey(), values);
                    }
                    values[i] = finite(c.getValue(), at + ".components." + c.getKey());
                }
            }
        }
        for (int i = 0; i < seen.length; i++) {
            if (!seen[i]) {
                long missing = java.util.stream.IntStream.range(0, seen.length)
                        .filter(k -> !seen[k])
                        .count();
                throw malformed("no score for id '" + batch.get(i).id() + "'"
                        + (missing > 1 ? " and " + (missing - 1) + " more" : "") + " of the " + batch.size()
                        + " items sent");
            }
        }
        return new Answer(scores, components);
    }

    private double finite(JsonNode v, String at) {
        if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw malformed(at + ": expected a finite number, got "
                    + (v == null
                            ? "nothing"
                            : v.isNumber() ? "one beyond a double's range" : abbreviate(v.toString())));
        }
        return v.asDouble();
    }

    private Answer await(Future<Answer> f, ExecutorService pool) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            pool.shutdownNow(); // the step fails: the other batches need not finish
            if (e.getCause() instanceof RewardException r) {
                throw r;
            }
            throw fail(describe(e.getCause()));
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
            throw fail("interrupted");
        }
    }

    private long wait(int attempt, long retryAfterSeconds) {
        if (retryAfterSeconds >= 0) {
            return TimeUnit.SECONDS.toMillis(Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS));
        }
        long ms = backoff.toMillis() << Math.min(20, attempt - 2);
        return Math.min(ms, MAX_BACKOFF.toMillis());
    }

    private RewardException fail(String what) {
        return new RewardException("reward function '" + name + "': POST " + url + " failed: " + what);
    }

    private RewardException malformed(String what) {
        return new RewardException(
                "reward function '" + name + "': POST " + url + " answered with a malformed body: " + what);
    }

    private String hint(int status) {
        return status == 401 || status == 403
                ? " (" + (token == null ? "no token was sent: set tokenSecret" : "the server refused the token") + ")"
                : status / 100 == 3 ? " (redirects are not followed: give the final URL)" : "";
    }

    /** At most 200 characters of a body, on one line, with the token (if the server echoed it) masked. */
    private String excerpt(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, 4096), StandardCharsets.UTF_8);
        return body.length == 0 ? "(empty body)" : abbreviate(s);
    }

    private String abbreviate(String s) {
        String t = s.replaceAll("\\s+", " ").strip();
        if (token != null) {
            t = t.replace(token, "***");
        }
        return t.length() > 200 ? t.substring(0, 200) + "…" : t;
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }

    private static String seconds(Duration d) {
        return (d.toMillis() % 1000 == 0 ? d.toSeconds() + "" : d.toMillis() / 1000.0 + "") + " s";
    }
}
