package dev.gspo.bench;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.decode.RunningBatch;
import dev.gspo.common.decode.RunningBatch.Admission;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.DecodeAdapter;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.common.model.TensorSpec;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Decode throughput of one running batch whose rows use 1, 2 or 4 named adapters (rank r, all seven targets; the rows
 * split evenly between them) against the same batch over the base model only: the base projections run once for every
 * row and each adapter adds its low-rank terms to its own rows ({@code AdapterRows}). The batch is kept full: a row
 * that ends is replaced at once by a new one of the same adapter (as the service's decoder does), so every step
 * decodes {@code rows} rows; tokens/s = tokens generated / wall time over {@code steps} steps, best of
 * {@link #ROUNDS} interleaved rounds after a warm-up; the load column is the 1-minute load before that best round.
 */
final class MixedAdapterBench {
    /** A row's length: 64 new tokens, or what the model's positions leave after the 8-token prompt (--smoke). */
    private static SamplingParams params(PolicyModel model) {
        return new SamplingParams(Math.min(64, model.config().maxPositionEmbeddings() - 8), 1.0, 1.0, 0, List.of());
    }

    /**
     * Rounds of (base, 1, 2, 4 adapters), measured in turn; each case's best round is reported. On a shared machine a
     * burst of load slows whichever case runs during it, so ratios taken from one pass each can swing either way (the
     * 2026-12-04 runs saw 0.79–1.34× from the same code); the best of interleaved rounds compares each case at the
     * least disturbed moment it had.
     */
    private static final int ROUNDS = 4;

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private MixedAdapterBench() {}

    static void run(String label, PolicyModel model, int rows, int steps, int rank, Consumer<Row> out) {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<DecodeAdapter> adapters = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                try (LoraWeights w = random(model, LoraConfig.of(rank, 2 * rank), 100 + i, manager)) {
                    adapters.add(DecodeAdapter.of(model.config(), w, manager));
                }
            }
            measure(model, rows, List.of(), 8); // warm-up
            int[] counts = {0, 1, 2, 4};
            double[] best = new double[counts.length];
            double[] bestCpu = new double[counts.length];
            double[] load = new double[counts.length];
            for (int round = 0; round < ROUNDS; round++) { // interleaved: a load change hits every case alike
                for (int c = 0; c < counts.length; c++) {
                    double l = Machine.load();
                    double[] tps = measure(model, rows, adapters.subList(0, counts[c]), steps);
                    if (tps[0] > best[c]) {
                        best[c] = tps[0];
                        load[c] = l;
                    }
                    bestCpu[c] = Math.max(bestCpu[c], tps[1]);
                }
            }
            for (int c = 0; c < counts.length; c++) {
                int n = counts[c];
                String what = n == 0 ? "base only" : n + " adapter" + (n > 1 ? "s" : "") + " (rank " + rank + ")";
                out.accept(row(label, what, rows, steps, best[c], best[0], bestCpu[c], bestCpu[0], load[c]));
            }
            adapters.forEach(DecodeAdapter::close);
        }
    }

    private static Row row(
            String label,
            String what,
            int rows,
            int steps,
            double tps,
            double base,
            double cpuTps,
            double cpuBase,
            double load) {
        return new Row(
                "lora-mixed-decode",
                label + " " + what + ", " + rows + " rows × " + steps + " steps",
                tps,
                "tok/s",
                Double.NaN,
                load,
                Results.num(tps / base) + "× base; per CPU-second " + Results.num(cpuTps) + " tok, "
                        + Results.num(cpuTps / cpuBase) + "× base (best of " + ROUNDS + " interleaved rounds)");
    }

    /**
     * {tokens per wall second, tokens per process CPU second} over {@code steps} steps of a full batch; row r uses
     * adapter r mod n (none when n = 0). With one intra-op thread the process's CPU time is the work done whatever
     * share of a core the machine's other jobs left, so its ratio to base holds better under load than wall time's.
     */
    private static double[] measure(PolicyModel model, int rows, List<DecodeAdapter> adapters, int steps) {
        SamplingParams params = params(model);
        int context = 8 + params.maxNewTokens();
        long seed = 1;
        long tokens = 0;
        long t0 = System.nanoTime();
        long cpu0 = OS.getProcessCpuTime();
        try (RunningBatch<Integer> batch = new RunningBatch<>(model, rows, context)) {
            List<Admission<Integer>> first = new ArrayList<>();
            for (int r = 0; r < rows; r++) {
                first.add(admission(r, adapters, params, seed++));
            }
            tokens += rows;
            List<RunningBatch.Finished<Integer>> ended = new ArrayList<>(batch.admit(first));
            for (int s = 0; s < steps; s++) {
                if (!ended.isEmpty()) {
                    List<Admission<Integer>> refill = new ArrayList<>();
                    for (RunningBatch.Finished<Integer> f : ended) {
                        refill.add(admission(f.tag(), adapters, params, seed++));
                    }
                    tokens += refill.size();
                    ended = new ArrayList<>(batch.admit(refill));
                    continue;
                }
                tokens += batch.running();
                ended = new ArrayList<>(batch.step());
            }
        }
        return new double[] {tokens / ((System.nanoTime() - t0) / 1e9), tokens / ((OS.getProcessCpuTime() - cpu0) / 1e9)
        };
    }

    private static Admission<Integer> admission(
            int slot, List<DecodeAdapter> adapters, SamplingParams params, long seed) {
        int[] prompt = new int[8];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 3 + rng.nextInt(20);
        }
        DecodeAdapter a = adapters.isEmpty() ? null : adapters.get(slot % adapters.size());
        return new Admission<>(slot, new SequenceRequest(prompt, params, seed), a);
    }

    private static LoraWeights random(PolicyModel model, LoraConfig lora, long seed, NDManager manager) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        for (TensorSpec spec : LoraWeights.specs(model.config(), lora)) {
            float[] d = new float[Math.toIntExact(spec.elementCount())];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (0.02 * rng.nextGaussian());
            }
            tensors.put(spec.name(), Safetensors.Tensor.f32(spec.name(), spec.shape(), d));
        }
        return LoraWeights.fromTensors(model.config(), lora, tensors, manager);
    }
}
