package dev.gspo.experiments.calibrate;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.task.Task;
import dev.gspo.common.task.TaskExample;
import dev.gspo.experiments.InProcessReplica;
import dev.gspo.experiments.InProcessRollouts;
import dev.gspo.optimizer.loop.RolloutBatch;
import dev.gspo.optimizer.loop.RolloutSource;
import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.loop.TrainingRun;
import dev.gspo.optimizer.loop.WarmStartProgress;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The calibration harness of the main job: one {@link TrainingRun} (warm start, then GSPO) of a run config, exactly as
 * {@code ./gspo train} runs it but in one process, sampling from an {@link InProcessReplica} (the rollout-service's
 * own decode steps without HTTP). Before the first GSPO step it also measures pass@k of the warm-started policy on the
 * held-out set (k samples per problem at the run's temperature; a problem counts when any sample is right): the share
 * of problems on which GSPO can find a rewarded answer at all, i.e. the ceiling of what it can sharpen into greedy
 * accuracy.
 *
 * <pre>
 *   java -Dloader.main=dev.gspo.experiments.calibrate.CalibrationRun -Dai.djl.pytorch.num_threads=2 \
 *        -cp experiments/target/experiments-*-exec.jar org.springframework.boot.loader.launch.PropertiesLauncher \
 *        config/main-job.json [--set field=value …] [--pass-at 8] [--out runs/calibration] [--results FILE.jsonl]
 * </pre>
 *
 * Prints one line per warm-start check and held-out evaluation, and appends one JSON line per run to
 * {@code --results} (default {@code runs/calibration/results.jsonl}): the overrides, where the warm start stopped and
 * why, held-out before/after and the curve, pass@k, the dynamic-sampling spend and the wall time.
 */
public final class CalibrationRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CalibrationRun() {}

    public static void main(String[] args) throws IOException {
        Path configFile = null;
        List<String> sets = new ArrayList<>();
        int passAt = 8;
        Path out = Path.of("runs/calibration");
        Path results = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--set" -> sets.add(args[++i]);
                case "--pass-at" -> passAt = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--results" -> results = Path.of(args[++i]);
                default -> configFile = Path.of(args[i]);
            }
        }
        if (configFile == null) {
            System.err.println("usage: CalibrationRun CONFIG.json [--set field=value …] [--pass-at K] [--out DIR]");
            System.exit(2);
        }
        ObjectNode tree = (ObjectNode) JSON.readTree(configFile.toFile());
        for (String s : sets) {
            int eq = s.indexOf('=');
            String value = s.substring(eq + 1);
            JsonNode parsed;
            try {
                parsed = JSON.readTree(value);
            } catch (IOException e) {
                parsed = TextNode.valueOf(value);
            }
            RunConfigJson.set(tree, s.substring(0, eq), parsed == null ? TextNode.valueOf(value) : parsed);
        }
        RunConfig config = RunConfigJson.read(tree).withDefaults();
        List<String> problems = config.validate();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid config: " + problems);
        }
        String id = "cal-" + System.currentTimeMillis();
        Map<String, Object> line = run(config, out.resolve(id), passAt, System.out);
        line.put("id", id);
        line.put("config", configFile.toString());
        line.put("set", sets);
        Path file = results != null ? results : out.resolve("results.jsonl");
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(
                file, JSON.writeValueAsString(line) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.out.println("RESULT " + JSON.writeValueAsString(line));
    }

    /** Runs {@code config} under {@code dir} and returns what the calibration records of it. */
    public static Map<String, Object> run(RunConfig config, Path dir, int passAt, PrintStream log) {
        long started = System.nanoTime();
        Path base = dir.resolve("replica-base");
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel m = BuiltinModel.create(config.model().source(), base, config.seed(), manager)) {
            m.tokenizer().close();
        }
        Map<Long, Double> curve = new LinkedHashMap<>();
        AtomicReference<Double> passAtK = new AtomicReference<>(Double.NaN);
        AtomicReference<Double> warmStartSeconds = new AtomicReference<>(Double.NaN);
        double[] dropped = {0};
        long[] extra = {0};
        int[] steps = {0};
        try (InProcessReplica replica = InProcessReplica.load(base, 4096)) {
            RolloutSource inner = new InProcessRollouts(replica);
            AtomicReference<TrainingRun> runRef = new AtomicReference<>();
            RolloutSource rollouts = new RolloutSource() {
                private boolean measured;

                @Override
                public RolloutBatch sample(
                        List<String> prompts, int groupSize, SamplingParams sampling, long seed, long minVersion) {
                    if (!measured && passAt > 0) {
                        measured = true;
                        warmStartSeconds.set((System.nanoTime() - started) / 1e9);
                        passAtK.set(passAt(runRef.get().task(), inner, passAt, sampling, minVersion));
                        log.printf(
                                Locale.ROOT,
                                "  pass@%d of the warm start on the held-out set: %.3f%n",
                                passAt,
                                passAtK.get());
                    }
                    return inner.sample(prompts, groupSize, sampling, seed, minVersion);
                }
            };
            TrainingRun run = new TrainingRun("calibration", config, dir, rollouts, replica, new RunListener() {
                @Override
                public void onWarmStartAccuracy(long step, long total, double accuracy, double target) {
                    log.printf(
                            Locale.ROOT,
                            "  warm start %d/%d  check accuracy %.3f (target %.2f)%n",
                            step,
                            total,
                            accuracy,
                            target);
                }

                @Override
                public void onHeldOutAccuracy(long step, double accuracy) {
                    curve.put(step, accuracy);
                    log.printf(
                            Locale.ROOT,
                            "  held-out after step %d: %.3f  (%.0f s)%n",
                            step,
                            accuracy,
                            (System.nanoTime() - started) / 1e9);
                }

                @Override
                public void onStep(StepMetrics s) {
                    dropped[0] += s.droppedGroupShare();
                    extra[0] += s.extraRollouts();
                    steps[0]++;
                    if (s.step() % 25 == 0) {
                        log.printf(
                                Locale.ROOT,
                                "    step %d  reward %.3f  acc %.3f  zv %.2f  dropped %.2f  extra %d  %.2f s/step%n",
                                s.step(),
                                s.rewardMean(),
                                s.accuracy(),
                                s.zeroVarianceShare(),
                                s.droppedGroupShare(),
                                s.extraRollouts(),
                                s.stepSeconds());
                    }
                }
            });
            runRef.set(run);
            run.run();
            WarmStartProgress ws = run.warmStart();
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("seed", config.seed());
            line.put("warmStartSteps", ws == null ? 0 : ws.step());
            line.put("warmStartStop", ws == null ? null : ws.stoppedBecause());
            line.put("warmStartCheckAccuracy", ws == null ? null : ws.accuracy());
            line.put("warmStartSeconds", warmStartSeconds.get());
            line.put("heldOutBefore", run.heldOutBefore());
            line.put("passAt" + passAt, passAtK.get());
            line.put("heldOutAfter", run.heldOutAfter());
            line.put("gain", run.heldOutAfter() - run.heldOutBefore());
            line.put(
                    "bestHeldOut",
                    curve.values().stream().mapToDouble(x -> x).max().orElse(Double.NaN));
            line.put("curve", curve);
            line.put("droppedShareMean", steps[0] == 0 ? 0 : dropped[0] / steps[0]);
            line.put("extraRollouts", extra[0]);
            line.put("wallSeconds", (System.nanoTime() - started) / 1e9);
            return line;
        }
    }

    /** Share of held-out problems with at least one right answer among {@code k} samples at the run's temperature. */
    static double passAt(Task task, RolloutSource rollouts, int k, SamplingParams sampling, long minVersion) {
        List<TaskExample> heldOut = task.heldOut();
        int solved = 0;
        int chunk = Math.max(1, 4096 / k);
        for (int from = 0; from < heldOut.size(); from += chunk) {
            List<TaskExample> part = heldOut.subList(from, Math.min(heldOut.size(), from + chunk));
            RolloutBatch batch = rollouts.sample(
                    part.stream().map(TaskExample::prompt).toList(), k, sampling, 0x9A55L + from, minVersion);
            for (int i = 0; i < part.size(); i++) {
                for (Completion c : batch.groups().get(i).samples()) {
                    if (task.reward(part.get(i), c.text()) >= 1) {
                        solved++;
                        break;
                    }
                }
            }
        }
        return heldOut.isEmpty() ? Double.NaN : solved / (double) heldOut.size();
    }
}
