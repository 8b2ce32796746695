package dev.gspo.optimizer.loop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointRetentionTest {
    @TempDir
    Path checkpoints;

    @Test
    void keepsTheNewestAndTheBestAndDeletesTheRest() throws Exception {
        for (long s = 1; s <= 6; s++) {
            checkpoint(s);
        }
        Files.createDirectories(checkpoints.resolve(".step-000007.tmp-123")); // a write in progress: not touched
        CheckpointRetention.prune(
                checkpoints, checkpoints.resolve("step-000006"), 2, Map.of(2L, 0.9, 4L, 0.5, 6L, 0.1));
        assertThat(names())
                .containsExactlyInAnyOrder("step-000002", "step-000005", "step-000006", ".step-000007.tmp-123");
    }

    @Test
    void neverDeletesTheCheckpointJustWrittenEvenWhenOthersHaveHigherSteps() throws Exception {
        for (long s : new long[] {3, 8, 9}) {
            checkpoint(s); // 8 and 9 were left by an earlier life of the run, which resumed from 3
        }
        Path written = checkpoint(4);
        CheckpointRetention.prune(checkpoints, written, 1, Map.of());
        assertThat(names()).containsExactly("step-000004");
    }

    @Test
    void zeroKeepsEverything() throws Exception {
        for (long s = 1; s <= 3; s++) {
            checkpoint(s);
        }
        CheckpointRetention.prune(checkpoints, checkpoints.resolve("step-000003"), 0, Map.of());
        assertThat(names()).hasSize(3);
    }

    private Path checkpoint(long step) throws Exception {
        Path d = Files.createDirectories(checkpoints.resolve(String.format("step-%06d", step)));
        Files.writeString(d.resolve("trainer_state.json"), "{}");
        return d;
    }

    private java.util.List<String> names() throws Exception {
        try (Stream<Path> s = Files.list(checkpoints)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
