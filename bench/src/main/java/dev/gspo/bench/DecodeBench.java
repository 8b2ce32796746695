package dev.gspo.bench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.wire.PromptInput;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.RolloutResponse;
import dev.gspo.common.wire.Sample;
import dev.gspo.common.wire.SampleGroup;
import dev.gspo.common.wire.SamplingSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Decode throughput: new tokens per second for a batch of B rows of the same prompt length, each generating exactly
 * n tokens (no end-of-sequence id, no stop strings; temperature 1), with the KV cache ({@code generate}) and without
 * ({@code generateWithoutCache}), in-process and through {@code POST /v1/rollouts} of a replica serving the same
 * weights.
 */
final class DecodeBench {
    static final int PROMPT = 8;
    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final String label;
    private final PolicyModel model;
    private final Flops flops;
    private final BatchGenerator generator;
    private final BatchGenerator control;
    private final double minSeconds;

    DecodeBench(String label, PolicyModel model, double minSeconds) {
        this.label = label;
        this.model = model;
        this.flops = new Flops(model.config());
        this.generator = new BatchGenerator(model);
        this.control = BatchGenerator.unfused(model);
        this.minSeconds = minSeconds;
    }

    Flops flops() {
        return flops;
    }

    /** One cell in-process: best of the repetitions that fit in {@code minSeconds} (at least one, at most 3). */
    void inProcess(int rows, int n, boolean cached, Consumer<Row> out) {
        List<SequenceRequest> requests = requests(rows, n);
        double load = Machine.load();
        double best = Double.MAX_VALUE;
        long spent = 0;
        int generated = 0;
        for (int rep = 0; rep < 3 && (rep == 0 || spent < minSeconds * 1e9); rep++) {
            long t0 = System.nanoTime();
            List<Completion> c = cached ? generator.generate(requests) : generator.generateWithoutCache(requests);
            long dt = System.nanoTime() - t0;
            spent += dt;
            best = Math.min(best, dt / 1e9);
            generated = c.stream().mapToInt(x -> x.tokenIds().length).sum();
        }
        double f = flops.decode(rows, PROMPT, n, cached);
        out.accept(new Row(
                "decode",
                label + " B=" + rows + " n=" + n + (cached ? " cache" : " no-cache"),
                generated / best,
                "tok/s",
                f / best / 1e9,
                load,
                "in-process, " + ms(best) + " per batch"));
    }

    /**
     * Before/after of the decode optimisation under the same load: the unfused control ({@link BatchGenerator#unfused})
     * and the fused path, cached, alternated {@code rounds} times; the best time of each is reported.
     */
    void beforeAfter(int rows, int n, int rounds, Consumer<Row> out) {
        List<SequenceRequest> requests = requests(rows, n);
        double load = Machine.load();
        double before = Double.MAX_VALUE;
        double after = Double.MAX_VALUE;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            control.generate(requests);
            long t1 = System.nanoTime();
            generator.generate(requests);
            long t2 = System.nanoTime();
            before = Math.min(before, (t1 - t0) / 1e9);
            after = Math.min(after, (t2 - t1) / 1e9);
        }
        double f = flops.decode(rows, PROMPT, n, true);
        double tokens = (double) rows * n;
        out.accept(new Row(
                "decode A/B",
                label + " B=" + rows + " n=" + n + " before (unfused)",
                tokens / before,
                "tok/s",
                f / before / 1e9,
                load,
                DecodeBench.ms(before / n) + " per step"));
        out.accept(new Row(
                "decode A/B",
                label + " B=" + rows + " n=" + n + " after (fused)",
                tokens / after,
                "tok/s",
                f / after / 1e9,
                load,
                DecodeBench.ms(after / n) + " per step; " + Results.num(before / after) + "× the before"));
    }

    /** The same batch through HTTP: one request of prompts × groupSize = rows (groups of at most 64). */
    void http(URI replica, HttpClient client, int rows, int n, Consumer<Row> out)
            throws IOException, InterruptedException {
        int group = Math.min(rows, 64);
        int prompts = rows / group;
        List<PromptInput> inputs = new ArrayList<>();
        int[] prompt = prompt(new SplittableRandom(7));
        for (int i = 0; i < prompts; i++) {
            inputs.add(PromptInput.tokens("p" + i, prompt));
        }
        byte[] body = JSON.writeValueAsBytes(
                new RolloutRequest(inputs, group, new SamplingSpec(n, 1.0, 1.0, 0, 11L, List.of()), null));
        double load = Machine.load();
        double best = Double.MAX_VALUE;
        long spent = 0;
        int generated = 0;
        for (int rep = 0; rep < 3 && (rep == 0 || spent < minSeconds * 1e9); rep++) {
            long t0 = System.nanoTime();
            HttpResponse<byte[]> r = client.send(
                    HttpRequest.newBuilder(replica.resolve("/v1/rollouts"))
                            .timeout(Duration.ofMinutes(10))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            long dt = System.nanoTime() - t0;
            if (r.statusCode() != 200) {
                throw new IllegalStateException(
                        "rollout request answered " + r.statusCode() + ": " + new String(r.body()));
            }
            RolloutResponse response = JSON.readValue(r.body(), RolloutResponse.class);
            generated = 0;
            for (SampleGroup g : response.groups()) {
                for (Sample s : g.samples()) {
                    generated += s.tokenIds().length;
                }
            }
            spent += dt;
            best = Math.min(best, dt / 1e9);
        }
        double f = flops.decode(rows, PROMPT, n, true);
        out.accept(new Row(
                "decode",
                label + " B=" + rows + " n=" + n + " cache",
                generated / best,
                "tok/s",
                f / best / 1e9,
                load,
                "HTTP POST /v1/rollouts, " + ms(best) + " per request"));
    }

    private List<SequenceRequest> requests(int rows, int n) {
        int[] prompt = prompt(new SplittableRandom(7));
        List<SequenceRequest> out = new ArrayList<>();
        SamplingParams params = new SamplingParams(n, 1.0, 1.0, 0, List.of());
        for (int i = 0; i < rows; i++) {
            out.add(new SequenceRequest(prompt, params, 1000L + i));
        }
        return out;
    }

    private int[] prompt(SplittableRandom rng) {
        int vocab = model.tokenizer().vocabSize();
        int[] p = new int[PROMPT];
        for (int i = 0; i < PROMPT; i++) {
            p[i] = 4 + rng.nextInt(vocab - 4); // past the special tokens
        }
        return p;
    }

    static String ms(double seconds) {
        return Results.num(seconds * 1000) + " ms";
    }
}
