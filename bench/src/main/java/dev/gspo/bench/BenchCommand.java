package dev.gspo.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.PolicyModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./gspo bench [--smoke]}: in one run, the matmul ceiling, decode, the rollout engine (continuous vs static
 * batching, a short request's latency beside a large one), training, publishing and an end-to-end step split,
 * printed as a table and appended to {@code docs/BENCHMARKS.md} with the machine description.
 */
@Command(
        name = "gspo bench",
        mixinStandardHelpOptions = true,
        description = "Measures decode, training and publishing throughput against this machine's matmul ceiling.")
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--smoke", description = "tiny sizes only (seconds): proves the command works, numbers mean little")
    boolean smoke;

    @Option(names = "--out", description = "markdown file the results are appended to (default: docs/BENCHMARKS.md)")
    Path out = Path.of("docs/BENCHMARKS.md");

    @Option(names = "--title", description = "heading of the appended section (default: date and variant)")
    String title;

    @Option(
            names = "--max-load-wait",
            description = "seconds to wait in all for the 1-minute load to fall below "
                    + "--load-threshold before the sections (default: 0 with --smoke, else 120)")
    Long maxLoadWait;

    @Option(names = "--load-threshold", description = "default 1.5")
    double loadThreshold = 1.5;

    @Option(
            names = "--only",
            split = ",",
            description =
                    "sections to run: ceiling,decode,ab,http,engine,train,publish,lora,e2e (default: all; lora-decode: "
                            + "lora's mixed-adapter decode case alone), and "
                            + "pipeline (on-policy vs pipelined steps, pinned services: only when named)")
    List<String> only;

    @Option(
            names = "--threads",
            description = "libtorch intra-op threads (default: libtorch's own, = cores); "
                    + "1 is far steadier on a machine other jobs are loading")
    Integer threads;

    @Option(
            names = "--train-steps",
            description = "section train: timed steps of the 25M model after its warm-up step (default 1); the RSS "
                    + "after each is printed, so 20+ shows whether resident memory settles")
    int trainSteps = 1;

    @Option(names = "--work-dir", description = "where model files and run directories go (default: a temp dir)")
    Path workDir;

    @Option(
            names = "--pipeline-seeds",
            split = ",",
            description = "section pipeline (only with --only pipeline): the seeds (default 1,2,3)")
    List<Long> pipelineSeeds = List.of(1L, 2L, 3L);

    @Option(names = "--pipeline-steps", description = "section pipeline: GSPO steps per run (default 400)")
    int pipelineSteps = 400;

    @Option(names = "--pipeline-eval-every", description = "section pipeline: held-out evaluation interval (50)")
    int pipelineEvalEvery = 50;

    @Option(
            names = "--pipeline-config",
            description = "section pipeline: the run config (default config/main-job.json)")
    Path pipelineConfig = Path.of("config/main-job.json");

    @Option(
            names = "--service-jars",
            split = ",",
            description = "section pipeline: the rollout-service and optimizer-service exec jars "
                    + "(default: the ones under */target, as ./gspo build leaves them)")
    List<Path> serviceJars;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec; // injected by picocli: usage errors are reported through it

    private final Results results = new Results();
    private long waitBudget;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (trainSteps < 1) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--train-steps must be at least 1, got " + trainSteps);
        }
        if (threads != null) {
            System.setProperty("ai.djl.pytorch.num_threads", threads.toString()); // read when the engine loads
        }
        waitBudget = maxLoadWait != null ? maxLoadWait : smoke ? 0 : 120;
        Path work = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("gspo-bench");
        String started = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"));
        List<Replica> replicas = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            String machine = Machine.describe(JniUtils.getNumThreads());
            System.out.println(machine);
            System.out.println(Results.HEADER);
            if (only != null && only.contains("pipeline")) { // minutes per run: only when named
                settle();
                List<Path> jars = serviceJars != null ? serviceJars : defaultServiceJars();
                new PipelineBench(jars.get(0), jars.get(1), pipelineConfig, work)
                        .run(pipelineSeeds, pipelineSteps, pipelineEvalEvery, results::add);
            }
            int maxNew = smoke ? 16 : 512;
            int[] lengths = smoke ? new int[] {8, 16} : new int[] {32, 128, 512};
            int[] batches = smoke ? new int[] {1, 4} : new int[] {1, 8, 32, 128};
            // FLOP budgets per cell: larger cells are left out and listed under the table
            double noCacheBudget = smoke ? 2e9 : 60e9;
            double cacheBudget = smoke ? 2e9 : 1.5e12;

            if (wants("ceiling")) {
                settle();
                double load = Machine.load();
                double best = 0;
                for (int n : smoke ? new int[] {256} : new int[] {1024, 2048}) {
                    double g = Ceiling.matmulGflops(manager, n, smoke ? 0.3 : 3);
                    best = Math.max(best, g);
                    results.ceiling(best);
                    results.add(new Row(
                            "ceiling",
                            "float32 matmul " + n + "×" + n,
                            g,
                            "GFLOP/s",
                            g,
                            load,
                            "best of repetitions; the ceiling is the best size"));
                    load = Machine.load();
                }
            }

            // the limit of small-batch decode: measured with --only decode too, so its rows can give their share of it
            double readGBs = Double.NaN;
            double matVecGBs = Double.NaN;
            if (wants("ceiling") || wants("decode")) {
                settle();
                long bytes = smoke ? 64L << 20 : 512L << 20;
                double load = Machine.load();
                readGBs = MemoryBandwidth.readGBs(manager, bytes, smoke ? 0.3 : 2);
                results.add(new Row(
                        "ceiling",
                        "memory read, libtorch sum over " + (bytes >> 20) + " MiB float32",
                        readGBs,
                        "GB/s",
                        Double.NaN,
                        load,
                        "best of repetitions; the memory-bound limit of the decode rows"));
                load = Machine.load();
                matVecGBs = MemoryBandwidth.matVecGBs(manager, bytes, smoke ? 0.3 : 2);
                results.add(new Row(
                        "ceiling",
                        "memory read, libtorch matrix-vector product over " + (bytes >> 20)
                                + " MiB of [2048, 512] float32 weights",
                        matVecGBs,
                        "GB/s",
                        Double.NaN,
                        load,
                        "best of repetitions; weights read per second by batch-1 linear layers: the limit of the "
                                + "decode rows with libtorch's kernels"));
                load = Machine.load();
                double copy = MemoryBandwidth.copyGBs(bytes / 2, smoke ? 0.3 : 2);
                results.add(new Row(
                        "ceiling",
                        "memory copy, one JVM thread, " + (bytes >> 21) + " MiB off-heap to off-heap",
                        copy,
                        "GB/s",
                        Double.NaN,
                        load,
                        "best of repetitions; bytes copied per second (each read once and written once)"));
            }

            Path tinyDir = work.resolve("tiny");
            Path bigDir = work.resolve("llama-25m");
            try (PolicyModel tiny =
                            BuiltinModel.create(BenchModels.tiny(DecodeBench.PROMPT + maxNew), tinyDir, 1, manager);
                    PolicyModel big = smoke
                            ? null
                            : BuiltinModel.create(
                                    BenchModels.llama25m(DecodeBench.PROMPT + maxNew), bigDir, 1, manager)) {
                List<PolicyModel> models = new ArrayList<>(List.of(tiny));
                if (big != null) {
                    models.add(big);
                }
                List<String> labels = List.of("tiny " + params(tiny), "llama-25m " + params(big));

                if (wants("decode")) {
                    for (int m = 0; m < models.size(); m++) {
                        DecodeBench bench =
                                new DecodeBench(labels.get(m), models.get(m), smoke ? 0 : 1.0, readGBs, matVecGBs);
                        bench.inProcess(2, 4, true, r -> {}); // warm-up of both paths
                        bench.inProcess(2, 4, false, r -> {});
                        // and of the one-row Java step (its JIT) and its control
                        bench.inProcess(1, Math.min(128, maxNew), true, r -> {});
                        bench.libtorchControl(16, r -> {});
                        settle();
                        for (int n : lengths) {
                            for (int b : batches) {
                                for (boolean cached : new boolean[] {true, false}) {
                                    double f = bench.flops().decode(b, DecodeBench.PROMPT, n, cached);
                                    double budget = cached ? cacheBudget : noCacheBudget;
                                    if (f <= budget) {
                                        bench.inProcess(b, n, cached, results::add);
                                        if (b == 1 && cached) { // before/after in one run: the same cell, libtorch
                                            bench.libtorchControl(n, results::add);
                                        }
                                    } else {
                                        results.skip("decode " + labels.get(m) + " B=" + b + " n=" + n
                                                + (cached ? " cache" : " no-cache") + ": " + Results.num(f / 1e9)
                                                + " GFLOP > the cell budget of " + Results.num(budget / 1e9));
                                    }
                                }
                            }
                        }
                    }
                }

                if (wants("ab")) {
                    settle();
                    for (int m = 0; m < models.size(); m++) {
                        DecodeBench bench = new DecodeBench(labels.get(m), models.get(m), 0, readGBs, matVecGBs);
                        bench.beforeAfter(2, 4, 1, r -> {}); // warm-up
                        for (int b : batches) {
                            bench.beforeAfter(b, smoke ? 8 : 64, smoke ? 1 : 2, results::add);
                        }
                    }
                }

                if (wants("engine")) {
                    settle();
                    EngineBench.throughput(labels.get(0), tiny, 8, 4, 8, 1.0, 16, 1, r -> {}); // warm-up
                    if (smoke) {
                        EngineBench.throughput(labels.get(0), tiny, 32, 8, 4, 1.0, 16, 1, results::add);
                    } else {
                        EngineBench.throughput(labels.get(0), tiny, 512, 64, 32, 1.0, 256, 2, results::add);
                    }
                }

                boolean needReplicas = wants("http") || wants("publish") || wants("lora") || wants("e2e");
                if (needReplicas) {
                    replicas.add(Replica.start(tinyDir));
                    if (!smoke) {
                        for (int i = 0; i < 4; i++) {
                            replicas.add(Replica.start(bigDir));
                        }
                    }
                }
                HttpClient http = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(5))
                        .build();
                if (wants("http")) {
                    settle();
                    int n = smoke ? 16 : 128;
                    for (int m = 0; m < models.size(); m++) {
                        DecodeBench bench =
                                new DecodeBench(labels.get(m), models.get(m), smoke ? 0.2 : 1.0, readGBs, matVecGBs);
                        URI url = replicas.get(m == 0 ? 0 : 1).url();
                        bench.http(url, http, 2, 4, r -> {}); // warm-up
                        for (int b : batches) {
                            bench.http(url, http, b, n, results::add);
                        }
                    }
                }
                if (wants("engine")) {
                    // the large request's rows all run at once, and reserved slots keep room for the short one
                    int largeRows = smoke ? 8 : 512;
                    int reserved = smoke ? 2 : 64;
                    try (Replica fair = Replica.start(
                            tinyDir,
                            "--gspo.rollout.max-batch-sequences=" + (largeRows + reserved),
                            "--gspo.rollout.reserved-slots=" + reserved)) {
                        settle();
                        if (smoke) {
                            EngineBench.fairness(fair.url(), http, 2, 4, 2, 4, 16, reserved, 3, results::add);
                        } else {
                            EngineBench.fairness(fair.url(), http, 4, 16, 8, 64, 256, reserved, 20, results::add);
                        }
                    }
                }
                if (wants("train")) {
                    settle();
                    if (smoke) {
                        TrainBench.run(labels.get(0), PolicyModel.load(tinyDir, manager), 16, 8, 8, 2, 1, results::add);
                    } else {
                        TrainBench.run(
                                labels.get(0), PolicyModel.load(tinyDir, manager), 256, 8, 8, 4, 5, results::add);
                        TrainBench.run(
                                labels.get(1),
                                PolicyModel.load(bigDir, manager),
                                64,
                                16,
                                48,
                                4,
                                trainSteps,
                                results::add);
                    }
                }
                if (wants("publish")) {
                    settle();
                    PublishBench publish = new PublishBench();
                    if (smoke) {
                        publish.run(labels.get(0), tiny, replicas, new int[] {1}, results::add);
                    } else {
                        publish.run(labels.get(1), big, replicas.subList(1, 5), new int[] {1, 2, 4}, results::add);
                    }
                }
                if (wants("lora") || wants("lora-decode")) { // lora-decode: this case alone
                    settle();
                    MixedAdapterBench.run(
                            smoke ? labels.get(0) : labels.get(1),
                            smoke ? tiny : big,
                            smoke ? 8 : 64,
                            smoke ? 8 : 64,
                            8,
                            results::add);
                }
                if (wants("lora") && !smoke) {
                    settle();
                    new LoraPublishBench()
                            .run(
                                    labels.get(1),
                                    big,
                                    replicas.subList(1, 5).stream()
                                            .map(Replica::url)
                                            .toList(),
                                    new int[] {1, 2, 4},
                                    new int[] {1, 8, 32},
                                    results::add);
                }
                if (wants("e2e")) {
                    settle();
                    EndToEndBench.run(
                            labels.get(0),
                            tinyDir.toString(),
                            List.of(replicas.get(0).url()),
                            smoke ? 1 : 4,
                            smoke ? 4 : 32,
                            work.resolve("run-tiny"),
                            results::add);
                    if (!smoke) {
                        EndToEndBench.run(
                                labels.get(1),
                                bigDir.toString(),
                                List.of(replicas.get(1).url()),
                                3,
                                32,
                                work.resolve("run-25m"),
                                results::add);
                    }
                }
                tiny.tokenizer().close();
                if (big != null) {
                    big.tokenizer().close();
                }
            }
            String heading = (title != null
                    ? title
                    : started + (smoke ? " — smoke (tiny sizes; not a measurement)" : " — full run"));
            results.appendTo(
                    out,
                    heading,
                    machine + "\n- load average (1, 5, 15 min) at the end: "
                            + Machine.loadAverages() + "\n- ceiling used for the % column: "
                            + Results.num(results.ceiling())
                            + " GFLOP/s");
            System.out.println("results appended to " + out.toAbsolutePath());
        } finally {
            replicas.forEach(Replica::close);
        }
        return 0;
    }

    List<Row> rows() {
        return results.rows();
    }

    private boolean wants(String section) {
        return only == null || only.contains(section);
    }

    /** The two services' exec jars under their modules' target folders (built by ./gspo build or ./gspo train). */
    private static List<Path> defaultServiceJars() throws java.io.IOException {
        List<Path> jars = new ArrayList<>();
        for (String module : List.of("rollout-service", "optimizer-service")) {
            try (var files = Files.list(Path.of(module, "target"))) {
                jars.add(files.filter(f -> f.getFileName().toString().matches(module + "-.*-exec\\.jar"))
                        .findFirst()
                        .orElseThrow(() -> new IllegalStateException(
                                "no " + module + " exec jar under " + module + "/target: run ./gspo build")));
            }
        }
        return jars;
    }

    /** Waits for a quieter machine while the run's wait budget lasts; the load is recorded with every row anyway. */
    private void settle() {
        if (waitBudget > 0 && Machine.load() >= loadThreshold) {
            System.out.println("(load " + Machine.loadAverages() + ": waiting up to " + waitBudget + " s for < "
                    + loadThreshold + ")");
            waitBudget -= Machine.waitForLoad(loadThreshold, waitBudget);
        }
    }

    private static String params(PolicyModel m) {
        return m == null ? "" : "(" + Results.num(m.weights().parameterCount() / 1e6) + "M params)";
    }
}
