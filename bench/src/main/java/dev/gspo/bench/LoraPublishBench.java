package dev.gspo.bench;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.lora.PeftAdapter;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.model.TensorSpec;
import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.publish.WeightPublisher;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Publishing a LoRA run's version: its adapter only ({@code PUT /v1/policy/adapter}: each replica verifies it against
 * the base it keeps, merges W + (α/r)·B A and loads the merged model before it answers), at ranks 1, 8 and 32 on all
 * seven linear layers, against a full weight push of the same model, to 1, 2 and 4 in-process replicas; best of 3.
 */
final class LoraPublishBench {
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private long version = 100_000;

    void run(String label, PolicyModel model, List<URI> replicas, int[] counts, int[] ranks, Consumer<Row> out) {
        WeightPublisher publisher = new WeightPublisher(http, Replica.PUSH_TOKEN, Duration.ofMinutes(5), 1, executor);
        byte[] base = model.weightsAsSafetensors();
        String baseSha = PolicyModel.sha256(base);
        // every replica keeps this base from here on
        PublishResult r0 = publisher.publish(replicas, ++version, base, baseSha);
        if (r0.failures() > 0) {
            throw new IllegalStateException("base publish failed: " + r0.replicas());
        }
        for (int n : counts) {
            List<URI> targets = replicas.subList(0, n);
            double load = Machine.load();
            double best = Double.MAX_VALUE;
            for (int rep = 0; rep < 3; rep++) {
                PublishResult r = publisher.publish(targets, ++version, base, baseSha);
                if (r.failures() > 0) {
                    throw new IllegalStateException("publish failed: " + r.replicas());
                }
                best = Math.min(best, r.duration().toNanos() / 1e9);
            }
            out.accept(new Row(
                    "lora-publish",
                    label + " full weights (" + Results.num(base.length / 1e6) + " MB) to " + n + " replica"
                            + (n > 1 ? "s" : ""),
                    best * 1000,
                    "ms",
                    Double.NaN,
                    load,
                    Results.num(base.length * (double) n / 1e6) + " MB sent"));
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int rank : ranks) {
                byte[] adapter = adapter(model, LoraConfig.of(rank, 32), manager);
                String sha = PolicyModel.sha256(adapter);
                for (int n : counts) {
                    List<URI> targets = replicas.subList(0, n);
                    double load = Machine.load();
                    double best = Double.MAX_VALUE;
                    for (int rep = 0; rep < 3; rep++) {
                        long v = ++version;
                        long t0 = System.nanoTime();
                        List<PublishResult.Replica> results = targets.stream()
                                .map(u -> CompletableFuture.supplyAsync(
                                        () -> publisher.pushAdapterWithRetries(u, v, adapter, sha, baseSha), executor))
                                .toList()
                                .stream()
                                .map(CompletableFuture::join)
                                .toList();
                        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                        if (results.stream().anyMatch(x -> !x.ok())) {
                            throw new IllegalStateException("adapter publish failed: " + results);
                        }
                    }
                    out.accept(new Row(
                            "lora-publish",
                            label + " LoRA r=" + rank + " adapter (" + Results.num(adapter.length / 1e6) + " MB, "
                                    + Results.num(100.0 * adapter.length / base.length) + "% of full) to " + n
                                    + " replica" + (n > 1 ? "s" : ""),
                            best * 1000,
                            "ms",
                            Double.NaN,
                            load,
                            Results.num(adapter.length * (double) n / 1e6) + " MB sent"));
                }
            }
        }
    }

    /** An adapter on all seven linear layers with non-zero A and B, as a push body. */
    private static byte[] adapter(PolicyModel model, LoraConfig lora, NDManager manager) {
        SplittableRandom rng = new SplittableRandom(lora.rank());
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        for (TensorSpec spec : LoraWeights.specs(model.config(), lora)) {
            float[] d = new float[Math.toIntExact(spec.elementCount())];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (0.01 * rng.nextGaussian());
            }
            tensors.put(spec.name(), Safetensors.Tensor.f32(spec.name(), spec.shape(), d));
        }
        try (LoraWeights w = LoraWeights.fromTensors(model.config(), lora, tensors, manager)) {
            return PeftAdapter.pushBody(w);
        }
    }
}
