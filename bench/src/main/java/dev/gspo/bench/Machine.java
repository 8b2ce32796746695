package dev.gspo.bench;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What the numbers were measured on, and how busy it was. */
final class Machine {
    private Machine() {}

    /** The 1-minute load average (/proc/loadavg), or NaN where there is none. */
    static double load() {
        try {
            return Double.parseDouble(
                    Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    static String loadAverages() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + ", " + f[1] + ", " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * Waits (polling every 5 s) until the 1-minute load is below {@code threshold}, spending at most what is left of
     * the budget; returns the seconds spent.
     */
    static long waitForLoad(double threshold, long budgetSeconds) {
        long start = System.nanoTime();
        while (load() >= threshold && (System.nanoTime() - start) / 1e9 < budgetSeconds) {
            try {
                Thread.sleep(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return Math.round((System.nanoTime() - start) / 1e9);
    }

    static String describe(int threads) {
        String cpu = "unknown";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse(cpu);
        } catch (IOException ignored) {
            // not Linux: keep "unknown"
        }
        String ram = "unknown";
        try {
            ram = Files.readAllLines(Path.of("/proc/meminfo")).stream()
                    .filter(l -> l.startsWith("MemTotal"))
                    .findFirst()
                    .map(l -> String.format(
                            Locale.ROOT, "%.1f GiB", Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0))
                    .orElse(ram);
        } catch (IOException | RuntimeException ignored) {
            // keep "unknown"
        }
        Engine engine = Engine.getInstance();
        return "- machine: " + Runtime.getRuntime().availableProcessors() + " CPUs (nproc), " + cpu + ", RAM " + ram
                + "\n- JDK: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + "\n- DJL " + Engine.getDjlVersion() + ", engine " + engine.getEngineName() + " (libtorch "
                + engine.getVersion() + "), intra-op threads " + threads
                + "\n- load average (1, 5, 15 min) at the start: " + loadAverages();
    }
}
