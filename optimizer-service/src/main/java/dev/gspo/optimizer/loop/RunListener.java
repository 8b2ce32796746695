package dev.gspo.optimizer.loop;

/** Observes a run (metrics, logs, the run registry); the loop itself stays free of them. */
public interface RunListener {
    default void onSupervisedStep(long step, long total, double loss) {}

    /**
     * The warm start measured its greedy accuracy on the check sample after {@code step} of at most {@code total}
     * steps; it stops when {@code accuracy ≥ target}.
     */
    default void onWarmStartAccuracy(long step, long total, double accuracy, double target) {}

    default void onStep(StepMetrics metrics) {}

    default void onHeldOutAccuracy(long step, double accuracy) {}

    default void onCheckpoint(long step, java.nio.file.Path dir) {}

    default void onCheckpointFailed(long step, Exception error) {}

    /** A run file ({@code metrics.jsonl}, {@code checkpoint}, {@code report}) could not be written; the run goes on. */
    default void onWriteFailed(String file, long step, Exception error) {}

    /** The run is over, completed, failed or stopped, after its report: nothing more is told about it. */
    default void onRunEnded() {}
}
