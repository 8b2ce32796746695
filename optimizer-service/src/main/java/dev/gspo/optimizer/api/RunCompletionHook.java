package dev.gspo.optimizer.api;

import dev.gspo.optimizer.loop.TrainingRun;
import dev.gspo.optimizer.run.RunState;

/** What happens when a run ends (the report; for the boot run, maybe shutting down). */
public interface RunCompletionHook {
    void finished(TrainingRun run, RunState state);
}
