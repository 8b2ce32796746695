package dev.gspo.optimizer.loop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Keeps a run's newest {@code keepLast} checkpoints ({@code checkpoints/step-NNNNNN}), the one just written always
 * among them, plus, if asked, the one with the best held-out accuracy (the later one on a tie); deletes the others.
 * {@code keepLast} 0 keeps everything.
 */
final class CheckpointRetention {
    private static final String PREFIX = "step-";

    private CheckpointRetention() {}

    /** @return the checkpoint directories deleted */
    static List<Path> prune(Path checkpoints, Path justWritten, int keepLast, Map<Long, Double> heldOut)
            throws IOException {
        if (keepLast <= 0) {
            return List.of();
        }
        List<Path> all;
        try (Stream<Path> dirs = Files.list(checkpoints)) {
            all = dirs.filter(p -> step(p) >= 0)
                    .sorted(Comparator.comparingLong(CheckpointRetention::step).reversed())
                    .toList();
        }
        Set<Path> keep = new HashSet<>();
        keep.add(justWritten);
        for (Path p : all) {
            if (keep.size() >= keepLast) {
                break;
            }
            keep.add(p);
        }
        all.stream()
                .filter(p -> heldOut.containsKey(step(p)))
                .max(Comparator.comparingDouble((Path p) -> heldOut.get(step(p)))
                        .thenComparingLong(CheckpointRetention::step))
                .ifPresent(keep::add);
        List<Path> deleted = new ArrayList<>();
        for (Path p : all) {
            if (!keep.contains(p)) {
                deleteTree(p);
                deleted.add(p);
            }
        }
        return deleted;
    }

    /** The step of a {@code step-NNNNNN} directory, or -1 for anything else (temporary and old-copy folders). */
    static long step(Path dir) {
        String name = dir.getFileName().toString();
        if (!name.startsWith(PREFIX) || !Files.isDirectory(dir)) {
            return -1;
        }
        try {
            return Long.parseLong(name.substring(PREFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
