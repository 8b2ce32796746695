package dev.gspo.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's own kernel counters at one instant (Linux {@code /proc/self}): user and system CPU time of all its
 * threads, minor and major page faults, and the resident set size. The difference of two snapshots around a
 * training step says where its CPU went: libtorch's arithmetic is user time; system time on a step that does no I/O
 * is the kernel serving page faults (a fresh page is zeroed on first touch) and {@code mmap}/{@code munmap} of the
 * large blocks glibc's {@code malloc} hands out and takes back.
 *
 * <p>Fields of {@code /proc/self/stat} (proc(5), counted from 1): 10 minflt, 12 majflt, 14 utime, 15 stime, in clock
 * ticks of {@value #TICKS_PER_SECOND} Hz ({@code USER_HZ}, fixed at 100 on Linux/x86-64). Fields are counted after
 * the closing parenthesis of field 2 (the command name may contain spaces). RSS is {@code VmRSS} of
 * {@code /proc/self/status}.
 *
 * @param userSeconds user CPU seconds, all threads
 * @param systemSeconds system (kernel) CPU seconds, all threads
 * @param minorFaults page faults served without I/O (a page mapped or zeroed on first touch)
 * @param majorFaults page faults that needed I/O
 * @param rssBytes resident set size, bytes
 */
record ProcessCounters(double userSeconds, double systemSeconds, long minorFaults, long majorFaults, long rssBytes) {
    static final int TICKS_PER_SECOND = 100;

    /** This process's counters now, or {@code null} where there is no {@code /proc} (not Linux). */
    static ProcessCounters now() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // after ") ": field 3 (state) is index 0, so field k is index k - 3
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            long rssKb = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmRSS:"))
                    .findFirst()
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                    .orElse(-1L);
            return new ProcessCounters(
                    Long.parseLong(f[14 - 3]) / (double) TICKS_PER_SECOND,
                    Long.parseLong(f[15 - 3]) / (double) TICKS_PER_SECOND,
                    Long.parseLong(f[10 - 3]),
                    Long.parseLong(f[12 - 3]),
                    rssKb < 0 ? -1 : rssKb * 1024);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The counters accumulated from {@code earlier} to this snapshot (the RSS is this snapshot's). */
    ProcessCounters since(ProcessCounters earlier) {
        return new ProcessCounters(
                userSeconds - earlier.userSeconds,
                systemSeconds - earlier.systemSeconds,
                minorFaults - earlier.minorFaults,
                majorFaults - earlier.majorFaults,
                rssBytes);
    }
}
