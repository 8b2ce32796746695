package dev.gspo.bench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.RowDecodeStep;
import dev.gspo.common.model.VersionDecodeWeights;
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
 * Decode throughput: new tokens per second for a batch of B rows of the same prompt length, each generating exactly n
 * tokens ({@link BatchGenerator#ignoringEos}: no row ends at EOS; no stop strings; temperature 1; tokens and steps are
 * still counted, not assumed), with the KV cache ({@code generate}) and without
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
    private final BatchGenerator libtorchSteps;
    private final double minSeconds;
    private final double readGBs;

    private final double matVecGBs;

    /**
     * @param readGBs   the measured memory read bandwidth (libtorch's sum), or NaN when it was not measured in this run
     * @param matVecGBs the weights read per second by libtorch's batch-1 matrix-vector product, or NaN
     */
    DecodeBench(String label, PolicyModel model, double minSeconds, double readGBs, double matVecGBs) {
        this.readGBs = readGBs;
        this.matVecGBs = matVecGBs;
        this.label = label;
        this.model = model;
        this.flops = new Flops(model.config());
        // rows never end at EOS: every cell decodes exactly B·n tokens (random weights sample the tokenizer's EOS about
        // once in vocabulary-size steps, which ended most B = 1 cells after their first token before)
        // as a replica decodes a served version: with the version's own fused weights, built once (freed with the
        // model's weights at the end of the run)
        this.generator = BatchGenerator.ignoringEos(model, new VersionDecodeWeights(model).get());
        this.control = BatchGenerator.ignoringEos(model, false);
        // the same generator with a one-row call's steps through libtorch instead of RowDecodeStep: the B = 1 control
        this.libtorchSteps = generator.withLibtorchSteps();
        this.minSeconds = minSeconds;
    }

    Flops flops() {
        return flops;
    }

    /**
     * One cell in-process: best of the repetitions that fit in {@code minSeconds} (at least one, at most 3). A cached
     * B = 1 cell decodes its steps in Java ({@link RowDecodeStep}; the note counts them); {@link #libtorchControl} is
     * the same cell through libtorch.
     */
    void inProcess(int rows, int n, boolean cached, Consumer<Row> out) {
        inProcess(generator, "", rows, n, cached, out);
    }

    /** The cached B = 1 cell with every step through libtorch (the path before {@link RowDecodeStep}): the control. */
    void libtorchControl(int n, Consumer<Row> out) {
        inProcess(libtorchSteps, " (control: libtorch steps)", 1, n, true, out);
    }

    private void inProcess(
            BatchGenerator generator, String suffix, int rows, int n, boolean cached, Consumer<Row> out) {
        List<SequenceRequest> requests = requests(rows, n);
        long javaStepsBefore = RowDecodeStep.stepsRun();
        double load = Machine.load();
        double best = Double.MAX_VALUE;
        long spent = 0;
        int generated = 0;
        int steps = 0;
        for (int rep = 0; rep < 3 && (rep == 0 || spent < minSeconds * 1e9); rep++) {
            long t0 = System.nanoTime();
            List<Completion> c = cached ? generator.generate(requests) : generator.generateWithoutCache(requests);
            long dt = System.nanoTime() - t0;
            spent += dt;
            if (dt / 1e9 < best) {
                best = dt / 1e9;
                generated = tokens(c);
                steps = steps(c);
            }
        }
        long javaSteps = RowDecodeStep.stepsRun() - javaStepsBefore;
        String trace = System.getProperty("gspo.bench.opTrace");
        if (trace != null
                && cached
                && rows <= 8
                && n <= 128) { // one more call under libtorch's profiler: a chrome trace of every op
            ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
            generator.generate(requests);
            ai.djl.pytorch.jni.JniUtils.stopProfile(trace + "-decode-"
                    + (label + " B=" + rows + " n=" + n).replaceAll("[^A-Za-z0-9.=-]", "_") + ".json");
        }
        double f = flops.decode(rows, PROMPT, steps, cached); // the FLOPs of the steps the batch ran
        out.accept(new Row(
                "decode",
                label + " B=" + rows + " n=" + n + (cached ? " cache" : " no-cache") + suffix,
                generated / best,
                "tok/s",
                f / best / 1e9,
                load,
                "in-process, " + ms(best) + " per batch" + memoryShare(rows, steps, cached, best)
                        + (javaSteps > 0
                                ? "; steps in Java (RowDecodeStep, " + RowDecodeStep.kernel() + " kernel): " + javaSteps
                                : "")));
    }

    /**
     * For a cached cell: the time per decode step and the share of the memory-bound limit it reaches. A static batch
     * runs until its longest row ends (rows that sampled the tokenizer's EOS early are still computed), so the steps
     * run are the longest completion's length; each must read {@link MemoryBandwidth#decodeBytes} from memory:
     *
     * <pre>
     *   share = (bytes read by the steps run ÷ read bandwidth) ÷ measured time
     * </pre>
     *
     * once against the read bandwidth of a sum (the machine's) and once against that of libtorch's matrix-vector
     * product (what a step made of libtorch's linear layers can at best do).
     */
    private String memoryShare(int rows, int steps, boolean cached, double seconds) {
        if (!cached || !Double.isFinite(readGBs) || steps == 0) {
            return "";
        }
        double bytes = MemoryBandwidth.decodeBytes(model.config(), rows, PROMPT, steps);
        double share = bytes / (readGBs * 1e9) / seconds;
        return "; " + steps + " steps, " + Results.num(1e6 * seconds / steps) + " µs per step; memory-bound: "
                + Results.num(bytes / steps / 1e6) + " MB read per step at " + Results.num(readGBs) + " GB/s = "
                + Results.num(1e6 * bytes / steps / (readGBs * 1e9)) + " µs, **" + Results.num(100 * share)
                + "%** of the limit"
                + (Double.isFinite(matVecGBs)
                        ? "; at the matrix-vector product's " + Results.num(matVecGBs) + " GB/s: **"
                                + Results.num(100 * bytes / (matVecGBs * 1e9) / seconds) + "%**"
                        : "");
    }

    static int tokens(List<Completion> completions) {
        return completions.stream().mapToInt(x -> x.tokenIds().length).sum();
    }

    static int steps(List<Completion> completions) {
        return completions.stream().mapToInt(x -> x.tokenIds().length).max().orElse(0);
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
        // both paths draw the same samples (same seeds), so they run the same steps; counted, not assumed to be n:
        // a row ends early if it samples the tokenizer's EOS
        int tokens = 0;
        int steps = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            control.generate(requests);
            long t1 = System.nanoTime();
            List<Completion> c = generator.generate(requests);
            long t2 = System.nanoTime();
            before = Math.min(before, (t1 - t0) / 1e9);
            after = Math.min(after, (t2 - t1) / 1e9);
            tokens = tokens(c);
            steps = steps(c);
        }
        double f = flops.decode(rows, PROMPT, steps, true);
        out.accept(new Row(
                "decode A/B",
                label + " B=" + rows + " n=" + n + " before (unfused)",
                tokens / before,
                "tok/s",
                f / before / 1e9,
                load,
                DecodeBench.ms(before / steps) + " per step"));
        out.accept(new Row(
                "decode A/B",
                label + " B=" + rows + " n=" + n + " after (fused)",
                tokens / after,
                "tok/s",
                f / after / 1e9,
                load,
                DecodeBench.ms(after / steps) + " per step (" + steps + " steps, " + tokens + " tokens); "
                        + Results.num(before / after) + "× the before"));
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
