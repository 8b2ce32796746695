package dev.gspo.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@link ProcessCounters} reads this process's own CPU time, page faults and RSS from {@code /proc/self}. */
class ProcessCountersTest {
    private static final int MB = 1 << 20;

    @Test
    void touchingFreshMemoryShowsAsPageFaultsAndResidentMemory() {
        assumeThat(Files.isReadable(Path.of("/proc/self/stat")))
                .as("Linux /proc")
                .isTrue();
        ProcessCounters before = ProcessCounters.now();
        ByteBuffer fresh = ByteBuffer.allocateDirect(128 * MB); // native memory the JVM zeroes: every page touched
        for (int i = 0; i < fresh.capacity(); i += 4096) {
            fresh.put(i, (byte) 1);
        }
        ProcessCounters delta = ProcessCounters.now().since(before);

        // 128 MiB is 32 768 pages of 4 KiB, or 64 of 2 MiB where transparent huge pages back it
        assertThat(delta.minorFaults()).isGreaterThanOrEqualTo(64);
        assertThat(delta.rssBytes()).isGreaterThanOrEqualTo(before.rssBytes() + 120L * MB);
        assertThat(fresh.get(4096)).isEqualTo((byte) 1);
    }

    @Test
    void busyLoopingShowsAsUserCpuTimeOfTheProcess() {
        assumeThat(Files.isReadable(Path.of("/proc/self/stat")))
                .as("Linux /proc")
                .isTrue();
        ProcessCounters before = ProcessCounters.now();
        long cpuStart =
                ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos();
        double sink = 0;
        // spin until the JDK's own count of this process's CPU time has moved 300 ms (all threads, user + system)
        while (ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos() - cpuStart < 300_000_000L) {
            for (int i = 0; i < 100_000; i++) {
                sink += Math.sqrt(i + sink);
            }
        }
        ProcessCounters delta = ProcessCounters.now().since(before);

        assertThat(sink).isPositive();
        assertThat(delta.userSeconds() + delta.systemSeconds()).isGreaterThanOrEqualTo(0.28);
        assertThat(delta.userSeconds()).isGreaterThan(delta.systemSeconds());
    }
}
