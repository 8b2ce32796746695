package dev.gspo.bench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.RunningBatch;
import dev.gspo.common.decode.RunningBatch.Admission;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.wire.PromptInput;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.SamplingSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The rollout engine with real response lengths (docs/BENCHMARKS.md, "Rollout engine"):
 *
 * <ul>
 *   <li><b>throughput</b>: N rows whose response lengths are drawn from a long-tailed distribution, decoded with at
 *       most B rows at once, continuously ({@link RunningBatch}: a row that ends frees its slot for the next one) and
 *       statically (chunks of B rows in arrival order, each decoded by {@link BatchGenerator#generate} until its
 *       longest row ends: what the decode worker did before continuous batching, and what it would do with a queue
 *       full of rows). Both decode exactly the same rows and tokens (seeded per row), so the useful tokens are the
 *       same and tokens/s compare directly; the decode steps and row-steps computed say where the time goes;
 *   <li><b>fairness</b>: the latency of a short request to a replica (HTTP), alone and while a large request
 *       decodes.
 * </ul>
 *
 * Lengths: {@code maxNewTokens = clamp(round(exp(ln median + σ·z)), 1, cap)}, z ~ N(0, 1) (lognormal, capped).
 * Greedy decoding, so that a row runs to its drawn length unless the model emits its EOS first (the actual lengths are
 * reported beside the drawn ones).
 */
final class EngineBench {
    static final int PROMPT = 8;
    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private EngineBench() {}

    /** Lognormal lengths with the given median and σ, rounded and clamped to [1, cap]. */
    static int[] lengths(int n, double median, double sigma, int cap, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            double z = gaussian(rng);
            out[i] = (int) Math.max(1, Math.min(cap, Math.round(Math.exp(Math.log(median) + sigma * z))));
        }
        return out;
    }

    private static double gaussian(SplittableRandom rng) { // Box–Muller
        double u = 1 - rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    }

    static List<SequenceRequest> rows(PolicyModel model, int[] lengths, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int vocab = model.tokenizer().vocabSize();
        List<SequenceRequest> out = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            int[] prompt = new int[PROMPT];
            for (int j = 0; j < PROMPT; j++) {
                prompt[j] = 4 + rng.nextInt(vocab - 4); // past the special tokens
            }
            out.add(new SequenceRequest(prompt, new SamplingParams(lengths[i], 0.0, 1.0, 0, List.of()), seed + i));
        }
        return out;
    }

    /** What one way of decoding the rows did. */
    record Run(double seconds, long usefulTokens, long steps, long rowSteps, int[] actualLengths) {}

    /** Static batching: chunks of {@code maxBatch} rows in order, each decoded until its longest row ends. */
    static Run staticBatches(PolicyModel model, List<SequenceRequest> rows, int maxBatch) {
        BatchGenerator generator = new BatchGenerator(model);
        int[] actual = new int[rows.size()];
        long steps = 0;
        long rowSteps = 0;
        long t0 = System.nanoTime();
        for (int from = 0; from < rows.size(); from += maxBatch) {
            List<SequenceRequest> chunk = rows.subList(from, Math.min(rows.size(), from + maxBatch));
            List<Completion> done = generator.generate(chunk);
            int longest = 0;
            for (int i = 0; i < done.size(); i++) {
                actual[from + i] = done.get(i).tokenIds().length;
                longest = Math.max(longest, actual[from + i]);
            }
            steps += longest - 1; // the prefill gives the first token
            rowSteps += (long) chunk.size() * longest;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Run(seconds, Arrays.stream(actual).asLongStream().sum(), steps, rowSteps, actual);
    }

    /** Continuous batching: a running batch of {@code maxBatch} slots, each refilled as soon as its row ends. */
    static Run continuous(PolicyModel model, List<SequenceRequest> rows, int maxBatch, int maxContext) {
        int[] actual = new int[rows.size()];
        long rowSteps = 0;
        long t0 = System.nanoTime();
        long steps;
        try (RunningBatch<Integer> batch = new RunningBatch<>(model, maxBatch, maxContext)) {
            int next = 0;
            int ended = 0;
            while (ended < rows.size()) {
                List<Admission<Integer>> join = new ArrayList<>();
                while (next < rows.size() && join.size() < batch.freeSlots()) {
                    join.add(new Admission<>(next, rows.get(next)));
                    next++;
                }
                rowSteps += join.size();
                for (RunningBatch.Finished<Integer> f : batch.admit(join)) {
                    actual[f.tag()] = f.completion().tokenIds().length;
                    ended++;
                }
                rowSteps += batch.running();
                for (RunningBatch.Finished<Integer> f : batch.step()) {
                    actual[f.tag()] = f.completion().tokenIds().length;
                    ended++;
                }
            }
            steps = batch.steps();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Run(seconds, Arrays.stream(actual).asLongStream().sum(), steps, rowSteps, actual);
    }

    /** (a): continuous vs static, alternated {@code rounds} times; the best time of each is reported. */
    static void throughput(
            String label,
            PolicyModel model,
            int n,
            int maxBatch,
            double median,
            double sigma,
            int cap,
            int rounds,
            Consumer<Row> out) {
        int[] drawn = lengths(n, median, sigma, cap, 42);
        List<SequenceRequest> rows = rows(model, drawn, 7);
        double load = Machine.load();
        Run bestStatic = null;
        Run bestContinuous = null;
        for (int r = 0; r < rounds; r++) {
            Run s = staticBatches(model, rows, maxBatch);
            Run c = continuous(model, rows, maxBatch, PROMPT + cap);
            if (!Arrays.equals(s.actualLengths(), c.actualLengths())) {
                throw new IllegalStateException("static and continuous decoding produced different lengths");
            }
            bestStatic = bestStatic == null || s.seconds() < bestStatic.seconds() ? s : bestStatic;
            bestContinuous = bestContinuous == null || c.seconds() < bestContinuous.seconds() ? c : bestContinuous;
        }
        String shape = label + " N=" + n + " B=" + maxBatch + " lengths lognormal(median " + Results.num(median)
                + ", σ " + Results.num(sigma) + ") ≤ " + cap;
        String lengths = "drawn mean " + Results.num(mean(drawn)) + ", p50 " + pct(drawn, 50) + ", p99 "
                + pct(drawn, 99) + ", max " + pct(drawn, 100) + "; actual mean "
                + Results.num(mean(bestStatic.actualLengths())) + ", max " + pct(bestStatic.actualLengths(), 100);
        out.accept(new Row(
                "engine",
                shape + " static",
                bestStatic.usefulTokens() / bestStatic.seconds(),
                "tok/s",
                Double.NaN,
                load,
                "useful tokens/s; " + bestStatic.steps() + " decode steps, " + bestStatic.rowSteps()
                        + " row-steps computed for " + bestStatic.usefulTokens() + " useful tokens; " + lengths));
        out.accept(new Row(
                "engine",
                shape + " continuous",
                bestContinuous.usefulTokens() / bestContinuous.seconds(),
                "tok/s",
                Double.NaN,
                load,
                "useful tokens/s; " + bestContinuous.steps() + " decode steps, " + bestContinuous.rowSteps()
                        + " row-steps; " + Results.num(bestStatic.seconds() / bestContinuous.seconds())
                        + "× the static tokens/s (steps: "
                        + Results.num((double) bestStatic.steps() / bestContinuous.steps()) + "×)"));
    }

    /**
     * (b): latency of a short request (1 prompt × {@code shortRows}, {@code shortTokens} new tokens) sent
     * {@code samples} times in a row to a replica, alone, then while a large request ({@code largePrompts} prompts ×
     * {@code largeGroup}, {@code largeTokens} new tokens, sent again whenever it completes) decodes on it. The replica
     * has {@code reservedSlots} slots beyond the large request's rows, reserved ({@code gspo.rollout.reserved-slots})
     * so that the large request cannot take them.
     */
    static void fairness(
            URI replica,
            HttpClient client,
            int shortRows,
            int shortTokens,
            int largePrompts,
            int largeGroup,
            int largeTokens,
            int reservedSlots,
            int samples,
            Consumer<Row> out)
            throws Exception {
        byte[] shortBody = body(1, shortRows, shortTokens, 0.0, 3);
        byte[] largeBody = body(largePrompts, largeGroup, largeTokens, 0.0, 5);
        send(replica, client, shortBody); // warm-up
        double load = Machine.load();
        double[] alone = new double[samples];
        for (int i = 0; i < samples; i++) {
            alone[i] = send(replica, client, shortBody);
        }
        double loadBeside = Machine.load();
        double[] beside = new double[samples];
        List<Double> largeSeconds = new ArrayList<>();
        CompletableFuture<Void> large = CompletableFuture.runAsync(() -> {});
        int i = 0;
        while (i < samples) {
            if (large.isDone()) {
                large = CompletableFuture.runAsync(() -> largeSeconds.add(sendUnchecked(replica, client, largeBody)));
                Thread.sleep(200); // let the large request be admitted before the short one arrives
            }
            beside[i++] = send(replica, client, shortBody);
        }
        large.join();
        String shortShape = "short request 1×" + shortRows + " × " + shortTokens + " tokens";
        String largeShape = largePrompts * largeGroup + " sequences × " + largeTokens + " tokens ("
                + (largePrompts * largeGroup + reservedSlots) + " slots, " + reservedSlots + " reserved)";
        Arrays.sort(alone);
        Arrays.sort(beside);
        out.accept(new Row(
                "engine",
                shortShape + " alone, p50",
                1000 * percentile(alone, 50),
                "ms",
                Double.NaN,
                load,
                "HTTP; p99 " + DecodeBench.ms(percentile(alone, 99)) + " over " + samples + " requests"));
        out.accept(new Row(
                "engine",
                shortShape + " beside a large request of " + largeShape + ", p50",
                1000 * percentile(beside, 50),
                "ms",
                Double.NaN,
                loadBeside,
                "HTTP; p99 " + DecodeBench.ms(percentile(beside, 99)) + " over " + samples
                        + " requests; the large request took "
                        + largeSeconds.stream().map(DecodeBench::ms).toList()));
    }

    private static byte[] body(int prompts, int group, int tokens, double temperature, long seed) throws Exception {
        List<PromptInput> inputs = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(seed);
        for (int p = 0; p < prompts; p++) {
            int[] ids = new int[PROMPT];
            for (int j = 0; j < PROMPT; j++) {
                ids[j] = 4 + rng.nextInt(40);
            }
            inputs.add(PromptInput.tokens("p" + p, ids));
        }
        return JSON.writeValueAsBytes(new RolloutRequest(
                inputs, group, new SamplingSpec(tokens, temperature, 1.0, 0, seed, List.of()), null));
    }

    private static double sendUnchecked(URI replica, HttpClient client, byte[] body) {
        try {
            return send(replica, client, body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static double send(URI replica, HttpClient client, byte[] body) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<byte[]> r = client.send(
                HttpRequest.newBuilder(replica.resolve("/v1/rollouts"))
                        .timeout(Duration.ofMinutes(10))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (r.statusCode() != 200) {
            throw new IllegalStateException("rollout request answered " + r.statusCode() + ": " + new String(r.body()));
        }
        return seconds;
    }

    private static double mean(int[] xs) {
        return Arrays.stream(xs).average().orElse(Double.NaN);
    }

    private static String pct(int[] xs, int p) {
        int[] sorted = xs.clone();
        Arrays.sort(sorted);
        return Integer.toString(sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)]);
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, int p) {
        return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }
}
