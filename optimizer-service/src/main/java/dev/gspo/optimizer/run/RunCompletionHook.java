package dev.gspo.optimizer.run;

import dev.gspo.optimizer.loop.TrainingRun;

/**
 * What happens when a run ends (the report; for the boot run, maybe shutting down). Called on the run's thread, whatever
 * the outcome.
 */
@FunctionalInterface
public interface RunCompletionHook {
    void finished(TrainingRun run, RunState state);
}
