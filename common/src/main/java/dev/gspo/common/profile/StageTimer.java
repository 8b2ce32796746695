package dev.gspo.common.profile;

/**
 * Receives the boundaries between the stages of a training step. On the CPU every libtorch op runs synchronously on
 * the calling thread (or its intra-op pool, joined before the op returns), so the wall and CPU time between two
 * calls is the time of the ops issued between them: no synchronisation point is needed and none is added.
 * {@link #NONE} does nothing; the trainer's default.
 */
@FunctionalInterface
public interface StageTimer {
    StageTimer NONE = stage -> {};

    /** {@code stage} has just ended: the time since the previous call (or since the step began) belongs to it. */
    void ended(TrainStage stage);
}
