package dev.gspo.bench;

import dev.gspo.common.objective.LossMode;
import dev.gspo.common.task.AdditionSpec;
import dev.gspo.common.train.OldLogprobs;
import dev.gspo.optimizer.fleet.FleetClient;
import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.loop.TrainingRun;
import dev.gspo.optimizer.publish.PolicyPublisher;
import dev.gspo.optimizer.publish.WeightPublisher;
import dev.gspo.optimizer.runconfig.CheckpointSpec;
import dev.gspo.optimizer.runconfig.EvalSpec;
import dev.gspo.optimizer.runconfig.ModelSpec;
import dev.gspo.optimizer.runconfig.ObjectiveSpec;
import dev.gspo.optimizer.runconfig.OptimizerSpec;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.SamplingSpec;
import dev.gspo.optimizer.runconfig.WarmStartSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * A real GSPO run (the optimizer's {@link TrainingRun} with its HTTP {@link FleetClient} and {@link PolicyPublisher})
 * against in-process replicas, in the main job's shape (addition, 32 prompts × 8, 6 new tokens, 4 minibatches), no
 * held-out evaluation and no intermediate checkpoints. Each step's time splits into the loop's own measurements:
 * rollout, train, publish; "other" is the rest (rewards, advantages, bookkeeping). The first step is a warm-up.
 */
final class EndToEndBench {
    private EndToEndBench() {}

    static void run(
            String label, String model, List<URI> replicas, int steps, int prompts, Path runDir, Consumer<Row> out) {
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        WeightPublisher weights = new WeightPublisher(http, Replica.PUSH_TOKEN, Duration.ofMinutes(5), 2, executor);
        PolicyPublisher publisher = new PolicyPublisher(() -> replicas, weights, http, Duration.ofSeconds(30), r -> {});
        FleetClient fleet = new FleetClient(http, publisher, Duration.ofMinutes(10), 2, executor, (u, o, s) -> {});
        RunConfig config = new RunConfig(
                        new AdditionSpec(1, 2, null),
                        null,
                        ModelSpec.of(model),
                        1L,
                        steps + 1,
                        new SamplingSpec(prompts, 8, 1.0, 6),
                        new ObjectiveSpec(LossMode.GSPO, 3e-4, 4e-4, OldLogprobs.ROLLOUT, 0.0, true, false),
                        new OptimizerSpec(1e-4, 4, 1.0, 0.0),
                        new WarmStartSpec(0, 64, 3e-3),
                        new EvalSpec(1000, 0),
                        new CheckpointSpec(0),
                        null)
                .withDefaults();
        List<StepMetrics> history = new CopyOnWriteArrayList<>();
        double load = Machine.load();
        new TrainingRun("bench-" + label, config, runDir, fleet, publisher, new RunListener() {
                    @Override
                    public void onStep(StepMetrics m) {
                        history.add(m);
                    }
                })
                .run();
        List<StepMetrics> measured = history.subList(1, history.size());
        double rollout = measured.stream()
                .mapToDouble(StepMetrics::rolloutSeconds)
                .average()
                .orElseThrow();
        double train = measured.stream()
                .mapToDouble(StepMetrics::trainSeconds)
                .average()
                .orElseThrow();
        double publish = measured.stream()
                .mapToDouble(StepMetrics::publishSeconds)
                .average()
                .orElseThrow();
        double step = measured.stream()
                .mapToDouble(StepMetrics::stepSeconds)
                .average()
                .orElseThrow();
        double other = Math.max(step - rollout - train - publish, 1e-6);
        String name = label + " (" + prompts + "×8, " + replicas.size() + " replica)";
        out.accept(new Row(
                "e2e",
                name + " step",
                step * 1000,
                "ms",
                Double.NaN,
                load,
                "mean of " + measured.size() + " steps after a warm-up"));
        for (var part : List.of(
                Map.entry("rollout", rollout),
                Map.entry("train", train),
                Map.entry("publish", publish),
                Map.entry("other", other))) {
            out.accept(new Row(
                    "e2e",
                    name + " " + part.getKey(),
                    part.getValue() * 1000,
                    "ms",
                    Double.NaN,
                    load,
                    String.format(Locale.ROOT, "%.1f%% of the step", 100 * part.getValue() / step)));
        }
        executor.shutdown();
    }
}
