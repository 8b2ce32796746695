package dev.gspo.optimizer.loop;

import dev.gspo.common.train.Checkpoint;
import dev.gspo.common.train.TrainerState;
import java.nio.file.Path;

/** A verified checkpoint to continue from. */
public record ResumePoint(Path dir, TrainerState state) {
    public static ResumePoint read(Path dir) {
        return new ResumePoint(dir, Checkpoint.read(dir));
    }
}
