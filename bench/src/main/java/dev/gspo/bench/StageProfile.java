package dev.gspo.bench;

import dev.gspo.common.profile.StageTimer;
import dev.gspo.common.profile.TrainStage;
import java.lang.management.ManagementFactory;
import java.util.EnumMap;
import java.util.Map;

/**
 * A {@link StageTimer} that adds up, per {@link TrainStage}, the wall time and the process CPU time between stage
 * boundaries. libtorch runs every CPU op synchronously (its intra-op threads are joined before the op returns), so
 * a boundary needs no synchronisation: the time since the previous boundary is the time of the ops issued in
 * between. Process CPU time (all threads: the caller and libtorch's intra-op pool) beside wall time shows how much of
 * a stage the machine's other jobs took: on an idle machine with one intra-op thread, CPU ≈ wall.
 */
final class StageProfile implements StageTimer {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final Map<TrainStage, long[]> totals = new EnumMap<>(TrainStage.class); // {wall ns, cpu ns}
    private long lastWall;
    private long lastCpu;

    /** Starts (or restarts) the clock: the next boundary's time is counted from now. */
    void start() {
        lastWall = System.nanoTime();
        lastCpu = OS.getProcessCpuTime();
    }

    @Override
    public void ended(TrainStage stage) {
        long wall = System.nanoTime();
        long cpu = OS.getProcessCpuTime();
        long[] t = totals.computeIfAbsent(stage, s -> new long[2]);
        t[0] += wall - lastWall;
        t[1] += cpu - lastCpu;
        lastWall = wall;
        lastCpu = cpu;
    }

    /** Wall seconds spent in {@code stage} so far. */
    double wallSeconds(TrainStage stage) {
        long[] t = totals.get(stage);
        return t == null ? 0 : t[0] / 1e9;
    }

    /** Process CPU seconds spent in {@code stage} so far. */
    double cpuSeconds(TrainStage stage) {
        long[] t = totals.get(stage);
        return t == null ? 0 : t[1] / 1e9;
    }

    double totalWallSeconds() {
        return totals.values().stream().mapToLong(t -> t[0]).sum() / 1e9;
    }
}
