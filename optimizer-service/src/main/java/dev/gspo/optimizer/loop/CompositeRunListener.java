package dev.gspo.optimizer.loop;

import java.nio.file.Path;
import java.util.List;

/** Tells every listener, in order. */
public record CompositeRunListener(List<RunListener> listeners) implements RunListener {
    public static RunListener of(RunListener... listeners) {
        return new CompositeRunListener(List.of(listeners));
    }

    @Override
    public void onSupervisedStep(long step, long total, double loss) {
        listeners.forEach(l -> l.onSupervisedStep(step, total, loss));
    }

    @Override
    public void onWarmStartAccuracy(long step, long total, double accuracy, double target) {
        listeners.forEach(l -> l.onWarmStartAccuracy(step, total, accuracy, target));
    }

    @Override
    public void onStep(StepMetrics metrics) {
        listeners.forEach(l -> l.onStep(metrics));
    }

    @Override
    public void onHeldOutAccuracy(long step, double accuracy) {
        listeners.forEach(l -> l.onHeldOutAccuracy(step, accuracy));
    }

    @Override
    public void onCheckpoint(long step, Path dir) {
        listeners.forEach(l -> l.onCheckpoint(step, dir));
    }

    @Override
    public void onCheckpointFailed(long step, Exception error) {
        listeners.forEach(l -> l.onCheckpointFailed(step, error));
    }

    @Override
    public void onWriteFailed(String file, long step, Exception error) {
        listeners.forEach(l -> l.onWriteFailed(file, step, error));
    }

    @Override
    public void onRunEnded() {
        listeners.forEach(RunListener::onRunEnded);
    }
}
